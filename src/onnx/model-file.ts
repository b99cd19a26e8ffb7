import { open } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { Int8calError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { readRegularFile } from '../core/read-regular.js';
import { onnx, type ModelProto, type TensorProto } from './proto.js';

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** Decodes ONNX model bytes; `file` only names the source in errors. */
export function decodeModel(bytes: Uint8Array, file = '<bytes>'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw notAModel(file, (error as Error).message, error);
  }
  if (!model.graph || !model.opsetImport?.length) {
    throw notAModel(file, 'it has no graph or no opset import');
  }
  return model;
}

function notAModel(file: string, why: string, cause?: unknown): Int8calError {
  return new Int8calError('MODEL_LOAD', `${file} is not a valid ONNX model: ${why}`, {
    file,
    hint: 'check the file is a complete .onnx model (not truncated, not a different format)',
  }, { cause });
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Loads a model and inlines any external-data initializers, so the returned proto is
 * self-contained (external files are resolved relative to the model's folder).
 */
export async function loadModel(path: string): Promise<ModelProto> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, 'model', 'check the path to the .onnx file');
  } catch (error) {
    if (error instanceof Int8calError && error.code === 'FILE_READ') throw new Int8calError('MODEL_LOAD', error.message, error.subject, { cause: error });
    throw error;
  }
  const model = decodeModel(bytes, path);
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataLocation === EXTERNAL) await inlineExternalData(tensor, dirname(path), path);
  }
  return model;
}

async function inlineExternalData(tensor: TensorProto, baseDir: string, modelPath: string) {
  const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location') ?? '';
  const dataFile = normalize(join(baseDir, location));
  if (!location || isAbsolute(location) || relative(baseDir, dataFile).startsWith('..')) {
    throw new Int8calError('MODEL_EXTERNAL_DATA',
      `Initializer ${tensor.name} of ${modelPath} has an invalid external-data location "${location}"`,
      { file: modelPath, tensor: tensor.name ?? undefined, hint: 'external data must be a file next to the model' });
  }
  const offset = Number(entries.get('offset') ?? 0);
  const length = entries.has('length') ? Number(entries.get('length')) : undefined;
  let handle;
  try {
    handle = await open(dataFile, 'r');
  } catch (error) {
    throw new Int8calError('MODEL_EXTERNAL_DATA',
      `External data file ${dataFile} for initializer ${tensor.name} is missing or unreadable`,
      { file: dataFile, tensor: tensor.name ?? undefined,
        hint: `keep ${location} in the same folder as ${modelPath}` }, { cause: error });
  }
  try {
    const size = length ?? (await handle.stat()).size - offset;
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, offset);
    if (bytesRead !== size) {
      throw new Int8calError('MODEL_EXTERNAL_DATA',
        `External data file ${dataFile} is too short for initializer ${tensor.name}`,
        { file: dataFile, tensor: tensor.name ?? undefined, hint: 'the data file looks truncated' });
    }
    tensor.rawData = buffer;
  } finally {
    await handle.close();
  }
  tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  tensor.externalData = [];
}

/** Protobuf messages can't exceed 2 GiB; beyond this, initializers go to a side file. */
const INLINE_LIMIT = 1.8 * 1024 ** 3;

/**
 * Saves a model atomically. Models whose initializers exceed what a protobuf can hold are
 * written with external data (`<file>.data` next to the model).
 */
export async function saveModel(model: ModelProto, path: string): Promise<void> {
  const initializers = model.graph?.initializer ?? [];
  const total = initializers.reduce((sum, t) => sum + (t.rawData?.length ?? 0), 0);
  if (total <= INLINE_LIMIT) {
    await writeFileAtomic(path, encodeModel(model));
    return;
  }
  const dataName = `${path.split(/[\\/]/).pop()}.data`;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const external = initializers.map((tensor): TensorProto => {
    const raw = tensor.rawData;
    if (!raw || raw.length < 1024) return tensor;
    const pad = (4096 - (offset % 4096)) % 4096;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    const moved: TensorProto = {
      ...tensor, rawData: new Uint8Array(), dataLocation: EXTERNAL,
      externalData: [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.length) },
      ],
    };
    chunks.push(raw);
    offset += raw.length;
    return moved;
  });
  await writeFileAtomic(join(dirname(path), dataName), Buffer.concat(chunks));
  await writeFileAtomic(path, encodeModel({ ...model, graph: { ...model.graph, initializer: external } }));
}
