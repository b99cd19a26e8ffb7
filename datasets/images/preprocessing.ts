/**
 * The preprocessing spec: how an image file becomes one model input tensor. Plain data,
 * JSON-serialisable: it is saved in run.json so every later stage repeats exactly what
 * calibration did. Each value is `(pixel * scale - mean[c]) / std[c]`, pixel in 0..255.
 */
import { Int8calError, invalidParameter } from '../../src/core/errors.js';
import { parseChoice, parseNumber, parseSize, parseTriple, type Size, type Triple } from './parse.js';

export const PRESET_NAMES = ['imagenet', 'yolo', 'unit', 'symmetric', 'raw'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
export const LAYOUTS = ['NCHW', 'NHWC'] as const;
export type Layout = (typeof LAYOUTS)[number];
/** stretch: to W×H ignoring aspect; letterbox: fit inside, centre, pad; crop: cover, centre crop. */
export const RESIZE_MODES = ['stretch', 'letterbox', 'crop'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];
export const CHANNEL_ORDERS = ['rgb', 'bgr'] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];
/** sharp resize kernels offered; `linear` is closest to PIL / OpenCV bilinear used in training. */
export const INTERPOLATIONS = ['nearest', 'linear', 'cubic', 'lanczos3'] as const;
export type Interpolation = (typeof INTERPOLATIONS)[number];
export type { Size, Triple };

export interface Preprocessing {
  preset: PresetName;
  layout: Layout;
  width: number;
  height: number;
  channels: 1 | 3;
  resize: ResizeMode;
  /** Pixel value (0..255, before scale/mean/std) of the letterbox border. */
  padValue: number;
  /** crop only: the image is resized to cover (W, H) / cropFraction, then centre-cropped. */
  cropFraction: number;
  interpolation: Interpolation;
  scale: number;
  /**
   * Per tensor channel, i.e. after `channelOrder` (for bgr, mean[0] is blue's); a 1-channel
   * input uses element 0. Preset values are RGB and are reordered when resolving for bgr.
   */
  mean: Triple;
  std: Triple;
  channelOrder: ChannelOrder;
}

type PresetFields = Pick<Preprocessing, 'resize' | 'padValue' | 'scale' | 'mean' | 'std'>;

/** The presets; every other field defaults to the values in `COMMON_DEFAULTS`. */
export const PRESETS: Readonly<Record<PresetName, Readonly<PresetFields>>> = {
  /** torchvision: resize short side to size/0.875 (256 for 224), centre crop, ImageNet mean/std. */
  imagenet: { resize: 'crop', padValue: 0, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  /** Ultralytics: letterbox with grey (114) border, x/255. */
  yolo: { resize: 'letterbox', padValue: 114, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  unit: { resize: 'stretch', padValue: 0, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  /** (x − 127.5) / 127.5 → [−1, 1]. */
  symmetric: { resize: 'stretch', padValue: 0, scale: 1, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
  raw: { resize: 'stretch', padValue: 0, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
};

export const DEFAULT_PRESET: PresetName = 'imagenet';
const COMMON_DEFAULTS = { cropFraction: 0.875, interpolation: 'linear', channelOrder: 'rgb' } as const;

/**
 * User choices; each overrides the preset's value. Strings (as typed on the command line) and
 * numbers/arrays (as in a config file) are both accepted.
 */
export interface PreprocessingOptions {
  preset?: string;
  /** "WxH", e.g. "640x480"; required when the model's height/width are dynamic. */
  size?: string | Size;
  layout?: string;
  channels?: number | string;
  resize?: string;
  /** One or three numbers in tensor channel order: "0.485,0.456,0.406", [127.5] … */
  mean?: string | number | readonly number[];
  std?: string | number | readonly number[];
  /** e.g. 1/255, "1/255", "0.00392". */
  scale?: string | number;
  channelOrder?: string;
  padValue?: string | number;
  cropFraction?: string | number;
  interpolation?: string;
}

/** A model input as the ONNX loader describes it; string/null/≤0 dims are dynamic. */
export interface ImageInput {
  name: string;
  dims: readonly (number | string | null)[];
  elementType: string;
}

/** Builds the spec for a model input: infers layout, channels and size from static dims. */
export function resolvePreprocessing(input: ImageInput, options: PreprocessingOptions = {}): Preprocessing {
  const shown = `[${input.dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
  const fail = (code: string, message: string, hint?: string): Int8calError =>
    new Int8calError(code, `Input "${input.name}" ${shown}: ${message}`, { tensor: input.name, hint });
  if (input.dims.length !== 4) {
    throw fail('INPUT_NOT_IMAGE', `rank ${input.dims.length} is not an image tensor (expected 4-D [N,C,H,W] or [N,H,W,C])`,
      'int8cal calibrates models whose input is a batch of images: export the model with a 4-D image input (or pick it with --input)');
  }
  if (!/float|double/i.test(input.elementType)) {
    throw fail('INPUT_NOT_IMAGE', `element type ${input.elementType} is not floating point; int8cal feeds float image tensors`,
      'export the model with a float32 image input (move the cast from uint8 into the model)');
  }
  const dims = input.dims.map((d) => (typeof d === 'number' && Number.isInteger(d) && d > 0 ? d : undefined));
  const layout = options.layout !== undefined ? parseChoice(options.layout, 'layout', LAYOUTS) : inferLayout(dims);
  if (layout === undefined) {
    throw fail('INPUT_LAYOUT', 'cannot tell channels-first from channels-last (neither dim 1 nor dim 3 is 1 or 3)', 'pass --layout NCHW or --layout NHWC');
  }
  const [cAt, hAt, wAt] = layout === 'NCHW' ? [1, 2, 3] : [3, 1, 2];

  const staticChannels = dims[cAt];
  if (staticChannels !== undefined && staticChannels !== 1 && staticChannels !== 3) {
    throw fail('INPUT_LAYOUT', `${layout} puts ${staticChannels} channels at dim ${cAt}; only 1 or 3 are supported`, options.layout ? 'check --layout' : 'pass --layout');
  }
  const wanted = options.channels === undefined ? undefined : parseChannels(options.channels);
  if (wanted !== undefined && staticChannels !== undefined && wanted !== staticChannels) {
    throw fail('PREPROCESSING_CONFLICT', `channels ${wanted} contradicts the model's ${staticChannels}`, 'omit --channels: the model fixes it');
  }
  const channels = (staticChannels ?? wanted ?? 3) as 1 | 3;

  const given = options.size === undefined ? undefined : parseSize(options.size);
  const [modelH, modelW] = [dims[hAt], dims[wAt]];
  if (given && ((modelW !== undefined && modelW !== given.width) || (modelH !== undefined && modelH !== given.height))) {
    throw fail('PREPROCESSING_CONFLICT', `--size ${given.width}x${given.height} contradicts the model's fixed size ${modelW ?? 'W'}x${modelH ?? 'H'}`, 'omit --size for a model with a fixed input size');
  }
  const width = given?.width ?? modelW;
  const height = given?.height ?? modelH;
  if (width === undefined || height === undefined) {
    throw fail('INPUT_SIZE_REQUIRED', 'height/width are dynamic, so the image size must be given', 'pass --size WxH, e.g. --size 640x640');
  }

  const preset = options.preset === undefined ? DEFAULT_PRESET : parseChoice(options.preset, 'preset', PRESET_NAMES);
  const base = PRESETS[preset];
  const pick = <T>(value: unknown, parse: (v: unknown) => T, fallback: T): T => (value === undefined ? fallback : parse(value));
  const channelOrder = pick(options.channelOrder, (v) => parseChoice(v, 'channelOrder', CHANNEL_ORDERS), COMMON_DEFAULTS.channelOrder);
  const inTensorOrder = (t: Triple): Triple => (channelOrder === 'bgr' ? [t[2], t[1], t[0]] : [...t]);
  return {
    preset,
    layout,
    width,
    height,
    channels,
    resize: pick(options.resize, (v) => parseChoice(v, 'resize', RESIZE_MODES), base.resize),
    padValue: pick(options.padValue, (v) => parseNumber(v, 'padValue', { min: 0, max: 255 }), base.padValue),
    cropFraction: pick(options.cropFraction, (v) => parseNumber(v, 'cropFraction', { min: 0.01, max: 1 }), COMMON_DEFAULTS.cropFraction),
    interpolation: pick(options.interpolation, (v) => parseChoice(v, 'interpolation', INTERPOLATIONS), COMMON_DEFAULTS.interpolation),
    scale: pick(options.scale, (v) => parseNumber(v, 'scale', { positive: true }), base.scale),
    mean: pick(options.mean, (v) => parseTriple(v, 'mean'), inTensorOrder(base.mean)),
    std: pick(options.std, (v) => parseTriple(v, 'std', { nonZero: true }), inTensorOrder(base.std)),
    channelOrder,
  };
}

/** NCHW when dim 1 holds the channels, NHWC when dim 3 does; NCHW (ONNX's norm) when both are dynamic. */
function inferLayout(dims: readonly (number | undefined)[]): Layout | undefined {
  const isChannels = (d: number | undefined): boolean => d === 1 || d === 3;
  if (isChannels(dims[1])) return 'NCHW';
  if (isChannels(dims[3])) return 'NHWC';
  if (dims[1] === undefined) return 'NCHW';
  if (dims[3] === undefined) return 'NHWC';
  return undefined;
}

function parseChannels(value: unknown): 1 | 3 {
  const n = typeof value === 'string' ? Number(value) : value;
  if (n !== 1 && n !== 3) throw invalidParameter('channels', '1 or 3', value);
  return n;
}

/** Dims of one image tensor: [C, H, W] or [H, W, C]. */
export function imageDims(p: Preprocessing): number[] {
  return p.layout === 'NCHW' ? [p.channels, p.height, p.width] : [p.height, p.width, p.channels];
}

/**
 * Checks a spec read back from a file (run.json); returns it with canonical values.
 * Throws the same parameter errors as `resolvePreprocessing`.
 */
export function checkPreprocessing(value: unknown): Preprocessing {
  const p = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const size = parseSize({ width: p.width, height: p.height });
  return {
    preset: parseChoice(p.preset, 'preset', PRESET_NAMES),
    layout: parseChoice(p.layout, 'layout', LAYOUTS),
    width: size.width,
    height: size.height,
    channels: parseChannels(p.channels),
    resize: parseChoice(p.resize, 'resize', RESIZE_MODES),
    padValue: parseNumber(p.padValue, 'padValue', { min: 0, max: 255 }),
    cropFraction: parseNumber(p.cropFraction, 'cropFraction', { min: 0.01, max: 1 }),
    interpolation: parseChoice(p.interpolation, 'interpolation', INTERPOLATIONS),
    scale: parseNumber(p.scale, 'scale', { positive: true }),
    mean: parseTriple(p.mean, 'mean'),
    std: parseTriple(p.std, 'std', { nonZero: true }),
    channelOrder: parseChoice(p.channelOrder, 'channelOrder', CHANNEL_ORDERS),
  };
}

/** One line for logs and reports, e.g. `imagenet: NCHW 3x224x224 rgb, crop 224x224 (cover 256x256), (x/255 - mean) / std …`. */
export function describePreprocessing(p: Preprocessing): string {
  const dims = imageDims(p).join('x');
  const order = p.channels === 1 ? 'gray' : p.channelOrder;
  const size = `${p.width}x${p.height}`;
  let resize: string;
  if (p.resize === 'crop') {
    const cover = `${round(p.width / p.cropFraction)}x${round(p.height / p.cropFraction)}`;
    resize = `crop ${size} (cover ${cover})`;
  } else if (p.resize === 'letterbox') {
    resize = `letterbox ${size} (pad ${p.padValue})`;
  } else {
    resize = `stretch to ${size}`;
  }
  const inverse = 1 / p.scale;
  let value = p.scale === 1 ? 'x' : Number.isInteger(round(inverse)) && Math.abs(round(inverse) - inverse) < 1e-9 ? `x/${round(inverse)}` : `x*${round(p.scale)}`;
  const list = (t: Triple): string => (p.channels === 1 || (t[0] === t[1] && t[1] === t[2]) ? `${round(t[0])}` : `[${t.map(round).join(', ')}]`);
  if (p.mean.some((m) => m !== 0)) value = `${value} - ${list(p.mean)}`;
  if (p.std.some((s) => s !== 1)) value = `(${value}) / ${list(p.std)}`;
  return `${p.preset}: ${p.layout} ${dims} ${order}, ${resize}, ${p.interpolation}, value = ${value}`;
}

function round(n: number): number {
  return Number(n.toPrecision(6));
}
