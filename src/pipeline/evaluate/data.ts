import { basename, relative, resolve } from 'node:path';
import { listImages, readBatches, type Geometry } from '../../../datasets/images/index.js';
import { isTensorFile, matchTensors, readTensorFile } from '../../../datasets/tensors/index.js';
import { TensorBatchSource } from '../tensor-source.js';
import { Int8calError } from '../../core/errors.js';
import type { Feeds } from '../../core/tensor.js';
import type { TensorInfo } from '../../onnx/graph.js';
import type { RunManifest } from '../../run/schema.js';

/** One evaluation batch: what every variant is fed, and what each sample is. */
export interface EvaluationBatch {
  feeds: Feeds;
  /** Per sample: the image path, or "FILE#i" for tensor data. */
  samples: string[];
  /** Per sample: where the photo sits in the input (identity for tensors). */
  geometry: Geometry[];
}

export interface EvaluationData {
  /** Image files, or one label per sample of a tensor file. */
  total: number;
  /** True for images (they can be decoded again for thumbnails). */
  images: boolean;
  /** Samples of the data left out because the run chose on them (`holdOut`), as `label` gives them. */
  heldOut: string[];
  /** Chosen-on samples that could not be held out (tensor files are judged whole). */
  notHeldOut: number;
  /** `samples` entries as results.json lists them. */
  label: (sample: string) => string;
  batches: () => AsyncGenerator<EvaluationBatch>;
}

export interface EvaluationDataOptions {
  batchSize: number;
  fixedBatch: boolean;
  maxImages?: number;
  /** Absolute paths (FILE#i for tensors) the run chose on: images among them are left out. */
  holdOut?: ReadonlySet<string>;
  skipBadImages?: boolean;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * The evaluation samples: a folder of images (preprocessed as run.json says), or a .npy/.npz
 * of input tensors — needed when calibration was fed tensors (no preprocessing to repeat).
 */
export async function evaluationData(path: string, run: RunManifest, inputs: readonly TensorInfo[], o: EvaluationDataOptions): Promise<EvaluationData> {
  const data = resolve(path);
  if (isTensorFile(data)) return tensorData(data, run, inputs, o);
  const preprocessing = run.preprocessing;
  if (!preprocessing) {
    throw new Int8calError('EVAL_DATA_KIND', `This run was calibrated from tensors (${run.calibration.data || 'a batch source'}), so ${data} cannot be preprocessed as calibration was`, {
      file: data, hint: 'evaluate with tensors too: --data EVAL.npz (one array per input, named after it)',
    });
  }
  const all = await listImages(data, { onWarning: o.onWarning });
  const heldOut = all.filter((f) => o.holdOut?.has(resolve(f)));
  const files = all.filter((f) => !o.holdOut?.has(resolve(f))).slice(0, o.maxImages ?? Infinity);
  return {
    total: files.length, images: true, label: (f) => relative(data, f), heldOut: heldOut.map((f) => relative(data, f)), notHeldOut: 0,
    batches: async function* () {
      for await (const batch of readBatches(files, preprocessing, { batchSize: o.batchSize, skipBadImages: o.skipBadImages, onWarning: o.onWarning, signal: o.signal })) {
        if (batch.files.length < o.batchSize && o.fixedBatch) break;
        yield { feeds: { [run.input]: { type: 'float32', data: batch.data, dims: batch.dims } }, samples: batch.files, geometry: batch.geometry };
      }
    },
  };
}

async function tensorData(file: string, run: RunManifest, inputs: readonly TensorInfo[], o: EvaluationDataOptions): Promise<EvaluationData> {
  const fed = inputs.filter((i) => (run.inputs ?? [run.input]).includes(i.name));
  const matched = matchTensors(await readTensorFile(file), fed, file, run.model.source);
  for (const name of matched.unused) o.onWarning?.(`${file}: array ${name} matches no input; ignored`);
  const samples = Math.min(matched.samples, o.maxImages ?? Infinity);
  const arrays = new Map([...matched.arrays].map(([name, a]) => [name, { ...a, shape: [samples, ...a.shape.slice(1)] }]));
  const geometry = identityGeometry(matched.arrays.get(run.input)?.shape ?? []);
  const notHeldOut = [...o.holdOut ?? []].filter((s) => s.startsWith(`${file}#`) && Number(s.slice(file.length + 1)) < samples).length;
  return {
    total: samples, images: false, label: (s) => basename(s), heldOut: [], notHeldOut,
    batches: async function* () {
      const source = new TensorBatchSource(arrays, o.batchSize, o.fixedBatch, o.onWarning);
      let at = 0;
      for (let feeds = await source.next(); feeds; feeds = await source.next()) {
        o.signal?.throwIfAborted();
        const n = Object.values(feeds)[0]!.dims[0]!;
        yield { feeds, samples: Array.from({ length: n }, (_, i) => `${file}#${at + i}`), geometry: Array.from({ length: n }, () => geometry) };
        at += n;
      }
    },
  };
}

/** Tensors map to themselves: boxes stay in input pixels (NCHW, or NHWC when dim 3 holds 1–4 channels). */
function identityGeometry(shape: readonly number[]): Geometry {
  const nhwc = shape.length === 4 && shape[3]! <= 4 && shape[1]! > 4;
  const [height, width] = shape.length === 4 ? (nhwc ? [shape[1]!, shape[2]!] : [shape[2]!, shape[3]!]) : [Infinity, Infinity];
  return { srcWidth: width, srcHeight: height, resizedWidth: width, resizedHeight: height, scale: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
}
