/** Photos → NCHW RGB float tensors with sharp (stretch resize), for the ONNX tests. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Feeds } from '../../../src/engines/engine.js';
import type { FeatureInputSpec } from '../../../src/metrics/pd-networks.js';

/** value = (pixel · scale − mean[c]) / std[c], pixel in 0..255, RGB, resized to spec.width × spec.height. */
export async function imageTensor(file: string, spec: FeatureInputSpec): Promise<Float32Array> {
  const { data } = await sharp(file).rotate().removeAlpha().toColourspace('srgb')
    .resize(spec.width, spec.height, { fit: 'fill', kernel: 'linear' })
    .raw().toBuffer({ resolveWithObject: true });
  const plane = spec.width * spec.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (data[i * 3 + c]! * spec.scale - spec.mean[c]!) / spec.std[c]!;
  }
  return out;
}

export const IMAGE_FILE = /\.(jpe?g|png|webp|tiff?|gif)$/i;

/** Image files of a folder, sorted by name. */
export async function listImages(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => IMAGE_FILE.test(n)).sort();
  return names.map((n) => join(dir, n));
}

/** One feed (batch 1) per image for the model input `input`. */
export async function imageFeeds(files: readonly string[], input: string, spec: FeatureInputSpec): Promise<Feeds[]> {
  const feeds: Feeds[] = [];
  for (const file of files) {
    feeds.push({ [input]: { type: 'float32', data: await imageTensor(file, spec), dims: [1, 3, spec.height, spec.width] } });
  }
  return feeds;
}
