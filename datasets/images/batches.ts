/**
 * Image files → batches of tensors. Decoding runs in parallel but memory stays bounded (at most
 * about two batches decoded ahead of the consumer), and batch contents depend only on the file
 * order: a batch holds the next `batchSize` images that decoded, in file order.
 */
import pLimit from 'p-limit';
import { Int8calError, invalidParameter } from '../../src/core/errors.js';
import type { ProgressCallback, WarningCallback } from '../../src/core/progress.js';
import { decodeImage, ImageDecodeError, tensorSize, type Geometry } from './decode.js';
import { imageDims, type Preprocessing } from './preprocessing.js';

export const DEFAULT_CONCURRENCY = 4;

export interface ReadBatchesOptions {
  /** Images per batch. The last batch may be smaller: its `dims[0]` says how many it holds. */
  batchSize: number;
  /** Images decoded at the same time (default `DEFAULT_CONCURRENCY`). */
  concurrency?: number;
  /** Skip images that fail to decode (with a warning) instead of throwing their error. */
  skipBadImages?: boolean;
  /** Pixel limit per image (default `MAX_INPUT_PIXELS`). */
  maxPixels?: number;
  onWarning?: WarningCallback;
  /** One event per file read or skipped; `stage` defaults to "read images". */
  onProgress?: ProgressCallback;
  stage?: string;
  signal?: AbortSignal;
}

export interface SkippedImage {
  file: string;
  /** The decoder's message, e.g. "premature end of JPEG image". */
  reason: string;
}

export interface ImageBatch {
  /** N images, back to back, each laid out as `dims.slice(1)`; exactly N × image values long. */
  data: Float32Array;
  /** [N, C, H, W] or [N, H, W, C]. */
  dims: number[];
  /** The N files, in order. */
  files: string[];
  /** Per image: where the photo sits in its tensor (to map boxes back). */
  geometry: Geometry[];
  /** Files skipped (skipBadImages) since the previous batch. */
  skipped: SkippedImage[];
  /** The images of this batch that are one flat colour (see DecodedImage.flat). */
  flat: FlatImage[];
}

/** An image whose pixels all have one value per channel (all black: [0, 0, 0]). */
export interface FlatImage {
  file: string;
  colour: number[];
}

/** What the generator returns when exhausted (`for await` discards it; `next()` sees it). */
export interface ReadSummary {
  images: number;
  batches: number;
  /** Every skipped file, in file order. */
  skipped: SkippedImage[];
}

type Decoded =
  | { file: string; ok: true; data: Float32Array; geometry: Geometry; flat?: number[] }
  | { file: string; ok: false; error: unknown };

/**
 * Reads `files` in order as batches for `spec`. Arguments are checked now; decoding starts
 * at the first `next()`. Throws the first decode error unless `skipBadImages`; throws
 * `NO_IMAGES` when no file at all could be decoded. Stopping early (`break`) cancels the
 * decodes not yet started.
 */
export function readBatches(
  files: readonly string[],
  spec: Preprocessing,
  options: ReadBatchesOptions,
): AsyncGenerator<ImageBatch, ReadSummary, undefined> {
  const { batchSize, concurrency = DEFAULT_CONCURRENCY } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidParameter('batchSize', 'positive integer', batchSize);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidParameter('concurrency', 'positive integer', concurrency);
  if (spec.resize === 'fit' && batchSize !== 1) throw invalidParameter('batchSize', '1 with resize fit (each image has its own size)', batchSize);
  if (files.length === 0) {
    throw new Int8calError('NO_IMAGES', 'No images to read', { hint: 'give a folder that contains images' });
  }
  options.signal?.throwIfAborted();
  return generate([...files], spec, { ...options, batchSize, concurrency });
}

async function* generate(
  files: string[],
  spec: Preprocessing,
  options: ReadBatchesOptions & { concurrency: number },
): AsyncGenerator<ImageBatch, ReadSummary, undefined> {
  const { batchSize, signal } = options;
  const limit = pLimit(options.concurrency);
  const fit = spec.resize === 'fit';
  const perImage = spec.width * spec.height * spec.channels;
  // Decodes started but not consumed, in file order; topped up as they are consumed.
  const ahead = Math.max(2 * batchSize, options.concurrency);
  const queue: Promise<Decoded>[] = [];
  let started = 0;
  const topUp = (): void => {
    while (queue.length < ahead && started < files.length) {
      const file = files[started++]!;
      queue.push(limit(() => decodeSettled(file, spec, options.maxPixels)));
    }
  };

  const summary: ReadSummary = { images: 0, batches: 0, skipped: [] };
  let done = 0;
  try {
    while (queue.length > 0 || started < files.length) {
      let data: Float32Array = new Float32Array(fit ? 0 : batchSize * perImage);
      let dims = [0, ...imageDims(spec)];
      const batch: Omit<ImageBatch, 'data' | 'dims'> = { files: [], geometry: [], skipped: [], flat: [] };
      while (batch.files.length < batchSize && (queue.length > 0 || started < files.length)) {
        topUp();
        const result = await queue.shift()!;
        signal?.throwIfAborted();
        done++;
        if (result.ok) {
          if (fit) {
            data = result.data; // a batch of one image, of its own size
            dims = [1, ...imageDims(spec, tensorSize(spec, result.geometry))];
          } else {
            data.set(result.data, batch.files.length * perImage);
          }
          batch.files.push(result.file);
          batch.geometry.push(result.geometry);
          if (result.flat) batch.flat.push({ file: result.file, colour: result.flat });
        } else {
          const skip = skippable(result.error, options.skipBadImages);
          if (!skip) throw result.error;
          const skipped = { file: result.file, reason: skip };
          batch.skipped.push(skipped);
          summary.skipped.push(skipped);
          options.onWarning?.(`Skipped ${result.file}: ${skip}`);
        }
        options.onProgress?.({ stage: options.stage ?? 'read images', done, total: files.length, unit: 'images' });
      }
      const n = batch.files.length;
      if (n === 0) break;
      if (n < batchSize && !fit) data = data.slice(0, n * perImage);
      dims[0] = n;
      summary.images += n;
      summary.batches++;
      topUp(); // keep decoding while the consumer works on this batch
      yield { data, dims, ...batch };
    }
  } finally {
    limit.clearQueue();
  }
  if (summary.images === 0) {
    throw new Int8calError('NO_IMAGES', `None of the ${files.length} images could be decoded`, {
      hint: 'check the image folder; the warnings name each file and why it failed',
    });
  }
  if (summary.skipped.length > 0) {
    options.onWarning?.(`Skipped ${summary.skipped.length} of ${files.length} images that could not be decoded`);
  }
  return summary;
}

/** Never rejects, so a decode nobody awaits any more (after `break`) cannot go unhandled. */
async function decodeSettled(file: string, spec: Preprocessing, maxPixels: number | undefined): Promise<Decoded> {
  try {
    const { data, geometry, flat } = await decodeImage(file, spec, { maxPixels });
    return { file, ok: true, data, geometry, ...(flat ? { flat } : {}) };
  } catch (error) {
    return { file, ok: false, error };
  }
}

/** The reason to report when `error` may be skipped, else undefined. */
function skippable(error: unknown, skipBadImages: boolean | undefined): string | undefined {
  return skipBadImages && error instanceof ImageDecodeError ? error.reason : undefined;
}
