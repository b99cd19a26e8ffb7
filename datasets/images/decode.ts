/**
 * One image file → one float tensor, as a `Preprocessing` spec says. sharp decodes, orients,
 * converts colour and resizes; the crop/pad placement and normalisation happen here, so the
 * geometry is exact and known (it is returned, to map detection boxes back to the photo).
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { Int8calError, invalidParameter } from '../../src/core/errors.js';
import type { Preprocessing } from './preprocessing.js';

/**
 * Images with more pixels (width × height, read from the header) are refused before any pixel
 * is decoded: a small file can claim a huge size (decompression bomb). 8192² = 64 Mi pixels.
 */
export const MAX_INPUT_PIXELS = 8192 * 8192;

/**
 * Where the photo landed in the tensor: tensor x = srcX * scaleX + padX (same for y), so a box
 * maps back with srcX = (x - padX) / scaleX. Pads are negative when `crop` cut the borders.
 */
export interface Geometry {
  /** Size of the photo after EXIF orientation. */
  srcWidth: number;
  srcHeight: number;
  /** Size it was resized to before being cropped or padded to the tensor size. */
  resizedWidth: number;
  resizedHeight: number;
  /**
   * Nominal uniform factor: letterbox min(W/w, H/h) (Ultralytics' `ratio`), crop the cover
   * factor; stretch has none and reports min(scaleX, scaleY). Map coordinates with scaleX/Y.
   */
  scale: number;
  /** Exact per-axis factors, resized / src. */
  scaleX: number;
  scaleY: number;
  /** Offset of the resized image's top-left corner in the tensor (letterbox ≥ 0, crop ≤ 0). */
  padX: number;
  padY: number;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this; default `MAX_INPUT_PIXELS`. */
  maxPixels?: number;
  /** Write into this array (at `offset`) instead of allocating one, e.g. a batch buffer. */
  into?: Float32Array;
  offset?: number;
}

export interface DecodedImage {
  /** `into` when given, else a new array of exactly one image. */
  data: Float32Array;
  geometry: Geometry;
  /**
   * Set when every pixel of the decoded photo (before padding and normalization) has the same
   * value in each channel, e.g. all black: that value per channel. Such an image has no content.
   */
  flat?: number[];
}

/** An image that cannot be read or decoded (code `IMAGE_DECODE`); `reason` is without the file name. */
export class ImageDecodeError extends Int8calError {
  constructor(
    readonly file: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super('IMAGE_DECODE', `Cannot decode image ${file}: ${reason}`, {
      file,
      hint: 'fix or remove the file, or pass --skip-bad-images to skip images that fail to decode',
    }, { cause });
  }
}

/**
 * Decodes `file` to the spec: EXIF orientation applied, alpha flattened on black (a 4-channel
 * input gets it as its 4th channel instead, see `alpha`), grey expanded to RGB (or RGB reduced
 * to grey for 1-channel inputs and `color: gray`), 16-bit reduced to 8-bit,
 * CMYK converted to sRGB, only the first frame of an animation. Any failure is an
 * Int8calError `IMAGE_DECODE` naming the file.
 */
export async function decodeImage(file: string, spec: Preprocessing, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) throw invalidParameter('maxPixels', 'positive integer', maxPixels);
  const offset = options.offset ?? 0;
  const bytes = await readFile(file).catch((error: unknown) => {
    throw decodeError(file, fileErrorReason(error), error);
  });
  const input = { limitInputPixels: maxPixels, failOn: 'error', pages: 1, page: 0 } as const;
  // The header is read without the pixel limit, so an oversized image gets the message below.
  const meta = await runSharp(file, () => sharp(bytes, { ...input, limitInputPixels: false }).metadata(), bytes);
  if (!meta.width || !meta.height) throw decodeError(file, 'the file gives no image size');
  if (meta.width * meta.height > maxPixels) {
    const mp = (n: number): string => `${(n / 1e6).toFixed(1)} megapixels`;
    throw decodeError(file, `${meta.width}x${meta.height} = ${mp(meta.width * meta.height)} exceeds the limit of ${mp(maxPixels)} (not decoded: decompression-bomb guard)`);
  }
  // EXIF orientations 5..8 turn the picture by 90°: width and height swap.
  const turned = (meta.orientation ?? 1) >= 5;
  const geometry = turned ? planGeometry(meta.height, meta.width, spec) : planGeometry(meta.width, meta.height, spec);
  checkCover(file, geometry, spec, maxPixels);

  const resize = geometry.resizedWidth !== geometry.srcWidth || geometry.resizedHeight !== geometry.srcHeight;
  const gray = spec.channels === 1 || spec.color === 'gray';
  const withAlpha = spec.channels === 4;
  const decodedChannels = (gray ? 1 : 3) + (withAlpha ? 1 : 0);
  const { data, info } = await runSharp(file, () => {
    let pipeline = sharp(bytes, input).rotate();
    // Alpha is flattened on black, except where a 4-channel input keeps it (ensureAlpha: 255 where the image has none).
    if (!withAlpha || spec.alpha === 'opaque') pipeline = pipeline.flatten({ background: { r: 0, g: 0, b: 0 } });
    if (withAlpha) pipeline = pipeline.ensureAlpha(1);
    if (resize) {
      pipeline = pipeline.resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: spec.interpolation });
    }
    return pipeline
      .toColourspace(gray ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  }, bytes);
  if (info.width !== geometry.resizedWidth || info.height !== geometry.resizedHeight || info.channels !== decodedChannels) {
    throw decodeError(file, `decoded to ${info.width}x${info.height}x${info.channels}, expected ${geometry.resizedWidth}x${geometry.resizedHeight}x${decodedChannels}`);
  }
  const tensor = tensorSize(spec, geometry);
  const size = tensor.width * tensor.height * spec.channels;
  const out = options.into ?? new Float32Array(size);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > out.length) {
    throw invalidParameter('offset', `an index with room for ${size} values in an array of ${out.length}`, offset);
  }
  writeTensor(data, decodedChannels, geometry, spec, out, offset);
  const flat = flatColour(data, decodedChannels);
  return { data: out, geometry, ...(flat ? { flat } : {}) };
}

/** The one value per channel when every pixel repeats the first, else undefined (stops at the first other pixel). */
function flatColour(pixels: Uint8Array, channels: number): number[] | undefined {
  for (let i = channels; i < pixels.length; i++) if (pixels[i] !== pixels[i % channels]) return undefined;
  return Array.from(pixels.subarray(0, channels));
}

/** Where an image of srcWidth × srcHeight goes in the tensor; pure, no decoding. */
export function planGeometry(srcWidth: number, srcHeight: number, spec: Preprocessing): Geometry {
  const { width: W, height: H } = spec;
  let resizedWidth = W;
  let resizedHeight = H;
  let scale = Math.min(W / srcWidth, H / srcHeight);
  let padX = 0;
  let padY = 0;
  if (spec.resize === 'letterbox' || spec.resize === 'fit') {
    resizedWidth = clamp(Math.round(srcWidth * scale), 1, W);
    resizedHeight = clamp(Math.round(srcHeight * scale), 1, H);
    if (spec.resize === 'letterbox' && spec.anchor === 'center') {
      padX = Math.floor((W - resizedWidth) / 2);
      padY = Math.floor((H - resizedHeight) / 2);
    }
  } else if (spec.resize === 'crop') {
    // timm/torchvision: cover floor(size / cropFraction) (224 → 256), then crop the centre.
    const coverW = Math.floor(W / spec.cropFraction + 1e-9);
    const coverH = Math.floor(H / spec.cropFraction + 1e-9);
    scale = Math.max(coverW / srcWidth, coverH / srcHeight);
    resizedWidth = Math.max(W, Math.floor(srcWidth * scale + 1e-9));
    resizedHeight = Math.max(H, Math.floor(srcHeight * scale + 1e-9));
    if (spec.anchor === 'center') {
      padX = -roundHalfEven((resizedWidth - W) / 2);
      padY = -roundHalfEven((resizedHeight - H) / 2);
    }
  }
  return {
    srcWidth,
    srcHeight,
    resizedWidth,
    resizedHeight,
    scale,
    scaleX: resizedWidth / srcWidth,
    scaleY: resizedHeight / srcHeight,
    padX,
    padY,
  };
}

/**
 * `crop` covers the size before cutting it out: a size far from the photo's aspect ratio (100000x1)
 * would resize it to billions of pixels. That is the size's fault, not the image's: not skippable.
 */
function checkCover(file: string, g: Geometry, spec: Preprocessing, maxPixels: number): void {
  const pixels = g.resizedWidth * g.resizedHeight;
  if (pixels <= maxPixels) return;
  const mp = (n: number): string => `${(n / 1e6).toFixed(1)} megapixels`;
  throw new Int8calError('RESIZE_TOO_LARGE', `--size ${spec.width}x${spec.height} with --resize crop: covering it would resize ${file} (${g.srcWidth}x${g.srcHeight}) to ${g.resizedWidth}x${g.resizedHeight} = ${mp(pixels)} before the crop, over the limit of ${mp(maxPixels)}`, {
    file, hint: 'give a --size closer to the images\' aspect ratio, or --resize stretch or letterbox (they never exceed the --size)',
  });
}

/** The tensor's width and height: the spec's, or with `fit` the fitted image's own. */
export function tensorSize(spec: Preprocessing, g: Geometry): { width: number; height: number } {
  return spec.resize === 'fit' ? { width: g.resizedWidth, height: g.resizedHeight } : { width: spec.width, height: spec.height };
}

/**
 * Places the resized 8-bit pixels (HWC, `stride` values each: gray or RGB, then alpha) into the
 * tensor, normalised, with the pad value around. Gray fills every colour channel; alpha (a 4th
 * channel) is `alpha × scale`, and 255 × scale on the padding (the border is opaque).
 */
function writeTensor(pixels: Uint8Array, stride: number, g: Geometry, spec: Preprocessing, out: Float32Array, offset: number): void {
  const { width: W, height: H } = tensorSize(spec, g);
  const C = spec.channels;
  const gray = C === 1 || spec.color === 'gray';
  const luts: Float32Array[] = [];
  const pads: number[] = [];
  const sources: number[] = [];
  for (let c = 0; c < C; c++) {
    const alpha = c === 3;
    const normalise = (v: number): number => (alpha ? v * spec.scale : (v * spec.scale - spec.mean[c]!) / spec.std[c]!);
    luts.push(Float32Array.from({ length: 256 }, (_, v) => normalise(v)));
    pads.push(normalise(alpha ? 255 : spec.padValue));
    sources.push(alpha ? stride - 1 : gray ? 0 : spec.channelOrder === 'rgb' ? c : 2 - c);
  }
  const plane = W * H;
  const [xStride, cStride] = spec.layout === 'NCHW' ? [1, plane] : [C, 1];
  const rowStride = W * xStride;
  for (let y = 0; y < H; y++) {
    const sy = y - g.padY;
    const rowInside = sy >= 0 && sy < g.resizedHeight;
    for (let x = 0; x < W; x++) {
      const sx = x - g.padX;
      const at = offset + y * rowStride + x * xStride;
      if (rowInside && sx >= 0 && sx < g.resizedWidth) {
        const from = (sy * g.resizedWidth + sx) * stride;
        for (let c = 0; c < C; c++) out[at + c * cStride] = luts[c]![pixels[from + sources[c]!]!]!;
      } else {
        for (let c = 0; c < C; c++) out[at + c * cStride] = pads[c]!;
      }
    }
  }
}

function decodeError(file: string, reason: string, cause?: unknown): ImageDecodeError {
  return new ImageDecodeError(file, reason, cause);
}

function fileErrorReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return (error as Error).message;
  }
}

/**
 * Runs a sharp call; a failure becomes an ImageDecodeError. libvips keeps one error buffer for
 * the whole process, so a decode running at the same time can wipe a failing decode's message
 * (sharp then says "Unknown error"): such failures are retried a few times for the real reason.
 */
async function runSharp<T>(file: string, call: () => Promise<T>, bytes?: Uint8Array): Promise<T> {
  let reason = '';
  let cause: unknown;
  for (let attempt = 0; attempt < SHARP_ATTEMPTS; attempt++) {
    try {
      return await call();
    } catch (error) {
      cause = error;
      reason = sharpReason(error);
      if (reason !== UNKNOWN) break;
    }
  }
  // A truncated JPEG fails on whichever libvips path reads first ("premature end", "corrupt
  // header" with no reason…): named from the bytes, the message doesn't depend on which.
  if (bytes && isTruncatedJpeg(bytes)) throw decodeError(file, TRUNCATED_JPEG, cause);
  throw decodeError(file, reason === UNKNOWN ? 'the decoder failed without saying why' : reason, cause);
}

export const TRUNCATED_JPEG = 'premature end of JPEG data: the file is truncated (no end-of-image marker)';

/** A JPEG (SOI marker) without its end-of-image marker FFD9 near the end: cut short. */
export function isTruncatedJpeg(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return false;
  let end = bytes.length;
  while (end > 2 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20)) end--;
  return !(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9);
}

const SHARP_ATTEMPTS = 4;
const UNKNOWN = 'Unknown error';

/** sharp/libvips messages, tidied: one line, each distinct line once (concurrent failures share the buffer). */
function sharpReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = new Set(text.split('\n').map((line) => line.trim()).filter(Boolean));
  return [...lines].join('; ') || UNKNOWN;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

/** Python's round(): halves go to the even neighbour (torchvision's centre-crop offsets). */
function roundHalfEven(n: number): number {
  const r = Math.round(n);
  return Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
