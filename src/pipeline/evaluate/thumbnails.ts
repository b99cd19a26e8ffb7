/**
 * Thumbnails for the worst-images table: an image-like output (C×H×W, 1 or 3 channels) as a
 * small PNG data URI. Reference and test use the same value range (from the reference), so
 * what differs in the pictures is what differs in the outputs.
 */
import sharp from 'sharp';
import { autoRange, toRgbPixels, type ImagePlanes, type ValueRange } from '../../metrics/image-output.js';

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 96;

export async function thumbnailDataUri(image: ImagePlanes, range: ValueRange, maxSide = THUMBNAIL_SIZE): Promise<string> {
  const k = Math.min(1, maxSide / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * k));
  const height = Math.max(1, Math.round(image.height * k));
  const [r, g, b] = toRgbPixels(image, range, width, height) as [Float32Array, Float32Array, Float32Array];
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[i * 3] = Math.round(r[i]!);
    rgb[i * 3 + 1] = Math.round(g[i]!);
    rgb[i * 3 + 2] = Math.round(b[i]!);
  }
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Both thumbnails of a worst image, sharing the reference's value range. */
export async function thumbnailPair(reference: ImagePlanes, test: ImagePlanes, range: ValueRange = autoRange(reference.data)): Promise<{ reference: string; test: string }> {
  return { reference: await thumbnailDataUri(reference, range), test: await thumbnailDataUri(test, range) };
}
