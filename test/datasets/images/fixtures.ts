/** Test images made at test time: exact pixel values, odd formats, broken files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { resolvePreprocessing, type Preprocessing, type PreprocessingOptions } from '../../../datasets/images/index.js';

/** A fresh temp folder, removed by the returned `cleanup`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-images-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type Rgb = [number, number, number];

/** A solid-colour image file (format from the extension). */
export async function solid(file: string, width: number, height: number, colour: Rgb): Promise<string> {
  await sharp({ create: { width, height, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } } }).toFile(file);
  return file;
}

/** A lossless image whose pixel (x, y) is `pixel(x, y)`: PNG unless the name says otherwise. */
export async function fromPixels(
  file: string,
  width: number,
  height: number,
  pixel: (x: number, y: number) => number[],
  channels: 1 | 3 | 4 = 3,
): Promise<string> {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * channels);
  }
  await sharp(data, { raw: { width, height, channels } }).toFile(file);
  return file;
}

/**
 * A PNG written byte by byte (so 16-bit samples and lying headers are possible).
 * colourType: 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA; `samples` row-major, interleaved.
 */
export function encodePng(width: number, height: number, bitDepth: 8 | 16, colourType: 0 | 2 | 4 | 6, samples: number[]): Buffer {
  const perPixel = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType];
  const bytes = bitDepth / 8;
  const rowBytes = 1 + width * perPixel * bytes;
  const raw = Buffer.alloc(samples.length === 0 ? 0 : height * rowBytes);
  samples.forEach((value, i) => {
    const row = Math.floor(i / (width * perPixel));
    const at = row * rowBytes + 1 + (i % (width * perPixel)) * bytes;
    if (bytes === 2) raw.writeUInt16BE(value, at);
    else raw[at] = value;
  });
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A noisy JPEG cut in half: the header is fine, the scan data ends early. */
export async function truncatedJpeg(file: string): Promise<string> {
  const full = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg()
    .toBuffer();
  await writeFile(file, full.subarray(0, full.length >> 1));
  return file;
}

/** A spec for an image input of W×H (NCHW unless said) with options on top. */
export function spec(width: number, height: number, options: PreprocessingOptions = {}): Preprocessing {
  const dims = options.layout === 'NHWC' ? [1, height, width, 3] : [1, 3, height, width];
  return resolvePreprocessing({ name: 'images', dims, elementType: 'float' }, options);
}

/** Value at (c, y, x) of image `n` in a batch or single tensor, whatever the layout. */
export function at(data: Float32Array, p: Preprocessing, c: number, y: number, x: number, n = 0): number {
  const { width: W, height: H, channels: C } = p;
  const base = n * W * H * C;
  return data[base + (p.layout === 'NCHW' ? c * W * H + y * W + x : (y * W + x) * C + c)]!;
}
