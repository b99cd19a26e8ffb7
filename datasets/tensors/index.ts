/**
 * Tensors given directly (`--data batch.npz`): for inputs no preprocessing preset can express,
 * and for models with several inputs. A .npy holds one array (for a one-input model); a .npz
 * one array per input, named after it. Arrays are [N, …the input's other dims], N samples.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { parseNpy, type NumpyArray } from './npy.js';
import { readZip } from './zip.js';

export { parseNpy, NPY_DTYPES, type NumpyArray, type NumericArray } from './npy.js';
export { readZip } from './zip.js';

export const TENSOR_FILE_EXTENSIONS = ['.npy', '.npz'] as const;

export function isTensorFile(path: string): boolean {
  return TENSOR_FILE_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(ext));
}

/** A model input as the loader describes it (string/null dims are dynamic). */
export interface TensorInput {
  name: string;
  elementType: string;
  dims: readonly (number | string | null)[];
}

/** Array name → array: a .npy file's is its base name, a .npz's its member names without ".npy". */
export async function readTensorFile(file: string): Promise<Map<string, NumpyArray>> {
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new Int8calError('TENSOR_FILE', `Cannot read ${file}: ${(error as Error).message}`, { file }, { cause: error });
  });
  if (file.toLowerCase().endsWith('.npy')) return new Map([[basename(file).replace(/\.npy$/i, ''), parseNpy(bytes, file)]]);
  const arrays = new Map<string, NumpyArray>();
  for (const [member, data] of readZip(bytes, file)) {
    if (member.endsWith('/')) continue;
    arrays.set(member.replace(/\.npy$/i, ''), parseNpy(data, `${file} member ${member}`));
  }
  if (arrays.size === 0) throw new Int8calError('TENSOR_FILE', `${file} holds no arrays`, { file, hint: 'numpy.savez(FILE, input_name=array, …)' });
  return arrays;
}

/** The arrays for each model input, checked; `samples` is N, `unused` the arrays no input takes. */
export interface MatchedTensors {
  arrays: Map<string, NumpyArray>;
  samples: number;
  unused: string[];
}

/**
 * Matches arrays to model inputs: by name (the only array goes to the only input whatever its
 * name). Each array must have the input's element type and rank, its static dims (the batch
 * dim excepted: it counts samples), and all the same number of samples.
 */
export function matchTensors(arrays: Map<string, NumpyArray>, inputs: readonly TensorInput[], file: string, model: string): MatchedTensors {
  const names = [...arrays.keys()];
  const only = inputs.length === 1 && arrays.size === 1;
  const matched = new Map<string, NumpyArray>();
  for (const input of inputs) {
    const array = only ? arrays.get(names[0]!)! : arrays.get(input.name);
    if (!array) {
      throw new Int8calError('TENSOR_INPUT_MISSING', `${file} has no array for input "${input.name}" of ${model} (arrays: ${names.join(', ')})`, {
        file, tensor: input.name, hint: `name each array after its input: numpy.savez(FILE, **{${inputs.map((i) => `${JSON.stringify(i.name)}: …`).join(', ')}})`,
      });
    }
    checkArray(array, input, only ? `${file} (array ${names[0]})` : `${file} array ${input.name}`, file);
    matched.set(input.name, array);
  }
  const counts = [...matched].map(([name, a]) => `${name}: ${a.shape[0]}`);
  const samples = Math.min(...[...matched.values()].map((a) => a.shape[0]!));
  if ([...matched.values()].some((a) => a.shape[0] !== samples)) {
    throw new Int8calError('TENSOR_SHAPE', `${file}: the arrays hold different numbers of samples (${counts.join(', ')})`, { file, hint: 'every input needs one entry per sample, along the first dimension' });
  }
  if (samples === 0) throw new Int8calError('TENSOR_SHAPE', `${file} holds no samples (first dimension 0)`, { file });
  return { arrays: matched, samples, unused: only ? [] : names.filter((n) => !matched.has(n)) };
}

function checkArray(array: NumpyArray, input: TensorInput, where: string, file: string): void {
  const shown = (dims: readonly unknown[]): string => `[${dims.map((d) => (typeof d === 'number' ? d : d ?? '?')).join(', ')}]`;
  if (array.type !== input.elementType) {
    throw new Int8calError('TENSOR_DTYPE', `${where} is ${array.type} (${array.dtype}), but input "${input.name}" takes ${input.elementType}`, {
      file, tensor: input.name, hint: `save it as ${input.elementType}: array.astype(numpy.${input.elementType === 'bool' ? 'bool_' : input.elementType})`,
    });
  }
  const mismatch = array.shape.length !== input.dims.length ||
    input.dims.some((d, i) => i > 0 && typeof d === 'number' && d > 0 && array.shape[i] !== d);
  if (mismatch) {
    throw new Int8calError('TENSOR_SHAPE', `${where} has shape ${shown(array.shape)}, but input "${input.name}" is ${shown(input.dims)}`, {
      file, tensor: input.name, hint: 'the first dimension counts samples; every other dimension must match the input (fixed ones exactly)',
    });
  }
}
