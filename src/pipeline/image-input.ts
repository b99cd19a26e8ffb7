import { Int8calError } from '../core/errors.js';
import type { TensorInfo } from '../onnx/graph.js';

/** Picks the model input that receives the images: `--input NAME`, or the only input. */
export function selectImageInput(inputs: readonly TensorInfo[], requested: string | undefined, model: string): TensorInfo {
  const listed = inputs.map((i) => `${i.name} [${i.dims.map((d) => d ?? '?').join(', ')}]`).join(', ');
  if (requested !== undefined) {
    const found = inputs.find((i) => i.name === requested);
    if (!found) {
      throw new Int8calError('INPUT_UNKNOWN', `Model ${model} has no input named ${requested}`, {
        file: model, tensor: requested, hint: `its inputs are: ${listed}`,
      });
    }
    return found;
  }
  if (inputs.length === 1) return inputs[0]!;
  throw new Int8calError('INPUT_AMBIGUOUS',
    inputs.length === 0 ? `Model ${model} has no inputs` : `Model ${model} has ${inputs.length} inputs; int8cal feeds images to one of them`,
    { file: model, hint: inputs.length ? `choose the image input with --input NAME (inputs: ${listed})` : 'export the model with its image input' });
}

/**
 * int8cal feeds images and nothing else: a model with other inputs (an image size, a scale
 * factor…) is refused before any inference, naming them, rather than failing mid-way.
 */
export function checkOnlyImageInput(inputs: readonly TensorInfo[], image: TensorInfo, model: string): void {
  const others = inputs.filter((i) => i.name !== image.name);
  if (!others.length) return;
  const listed = others.map((i) => `${i.name} [${i.dims.map((d) => d ?? '?').join(', ')}]`).join(', ');
  throw new Int8calError('INPUT_UNFED',
    `Model ${model}: images go to input ${image.name}, but int8cal has nothing to feed its other input${others.length > 1 ? 's' : ''} ${listed}`,
    { file: model, tensor: others[0]!.name, hint: 'int8cal feeds only images: export the model with the other inputs fixed as constants (initializers)' });
}
