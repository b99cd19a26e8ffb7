/**
 * The preprocessing spec: how an image file becomes one model input tensor. Plain data,
 * JSON-serialisable: it is saved in run.json so every later stage repeats exactly what
 * calibration did. Each value is `(pixel * scale - mean[c]) / std[c]`, pixel in 0..255.
 */
import { Int8calError, invalidParameter } from '../../src/core/errors.js';
import { parseChoice, parseNumber, parseSize, parseTriple, type Size, type Triple } from './parse.js';
import { checkUnits } from './units.js';

export const PRESET_NAMES = ['imagenet', 'yolo', 'yolo-cls', 'yolox', 'unit', 'symmetric', 'raw'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
export const LAYOUTS = ['NCHW', 'NHWC'] as const;
export type Layout = (typeof LAYOUTS)[number];
/**
 * stretch: to W×H ignoring aspect; letterbox: fit inside, pad the rest; crop: cover, then crop;
 * fit: fit inside W×H keeping the aspect, no padding — the tensor takes the fitted size, so the
 * model's H/W must be dynamic and each batch holds one image.
 */
export const RESIZE_MODES = ['stretch', 'letterbox', 'crop', 'fit'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];
export const CHANNEL_ORDERS = ['rgb', 'bgr'] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];
/** Where letterbox padding goes / which part crop keeps: centred (Ultralytics, torchvision) or the image at the top-left corner (YOLOX). */
export const ANCHORS = ['center', 'top-left'] as const;
export type Anchor = (typeof ANCHORS)[number];
/** color: the photo's colours; gray: its luminance in every colour channel (models trained on grey scans). 1-channel inputs are always gray. */
export const COLOR_MODES = ['color', 'gray'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];
/** 4-channel inputs: keep = the image's own alpha (255 where it has none); opaque = 255 everywhere. */
export const ALPHA_MODES = ['keep', 'opaque'] as const;
export type AlphaMode = (typeof ALPHA_MODES)[number];
/** Channels an image tensor may have: gray, colour, colour + alpha. */
export const CHANNEL_COUNTS = [1, 3, 4] as const;
export type ChannelCount = (typeof CHANNEL_COUNTS)[number];
/** sharp resize kernels offered; `linear` is closest to PIL / OpenCV bilinear used in training. */
export const INTERPOLATIONS = ['nearest', 'linear', 'cubic', 'lanczos3'] as const;
export type Interpolation = (typeof INTERPOLATIONS)[number];
export type { Size, Triple };

export interface Preprocessing {
  preset: PresetName;
  layout: Layout;
  width: number;
  height: number;
  channels: ChannelCount;
  resize: ResizeMode;
  anchor: Anchor;
  color: ColorMode;
  /** 4-channel inputs only; the alpha channel is `alpha × scale` (no mean/std). */
  alpha: AlphaMode;
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

type PresetFields = Pick<Preprocessing, 'resize' | 'padValue' | 'scale' | 'mean' | 'std'> & Partial<Pick<Preprocessing, 'anchor' | 'channelOrder' | 'cropFraction'>>;

/** The presets; every other field defaults to the values in `COMMON_DEFAULTS`. */
export const PRESETS: Readonly<Record<PresetName, Readonly<PresetFields>>> = {
  /** torchvision: resize short side to size/0.875 (256 for 224), centre crop, ImageNet mean/std. */
  imagenet: { resize: 'crop', padValue: 0, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  /** Ultralytics: letterbox with grey (114) border, x/255. */
  yolo: { resize: 'letterbox', padValue: 114, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  /** Ultralytics classifiers: short side to the size, centre crop (crop fraction 1), x/255. */
  'yolo-cls': { resize: 'crop', cropFraction: 1, padValue: 0, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  /** YOLOX (Megvii): BGR, letterbox with the image at the top-left, 114 border, raw 0–255. */
  yolox: { resize: 'letterbox', anchor: 'top-left', channelOrder: 'bgr', padValue: 114, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
  unit: { resize: 'stretch', padValue: 0, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  /** (x − 127.5) / 127.5 → [−1, 1]. */
  symmetric: { resize: 'stretch', padValue: 0, scale: 1, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
  raw: { resize: 'stretch', padValue: 0, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
};

export const DEFAULT_PRESET: PresetName = 'imagenet';
const COMMON_DEFAULTS = { cropFraction: 0.875, interpolation: 'linear', channelOrder: 'rgb', anchor: 'center', color: 'color', alpha: 'keep' } as const;

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
  anchor?: string;
  color?: string;
  alpha?: string;
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
  if (staticChannels !== undefined && !isChannelCount(staticChannels)) {
    throw fail('INPUT_LAYOUT', `${layout} puts ${staticChannels} channels at dim ${cAt}; only 1, 3 or 4 are supported`, options.layout ? 'check --layout' : 'pass --layout');
  }
  const wanted = options.channels === undefined ? undefined : parseChannels(options.channels);
  if (wanted !== undefined && staticChannels !== undefined && wanted !== staticChannels) {
    throw fail('PREPROCESSING_CONFLICT', `channels ${wanted} contradicts the model's ${staticChannels}`, 'omit --channels: the model fixes it');
  }
  const channels = (staticChannels ?? wanted ?? 3) as ChannelCount;

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
  const channelOrder = pick(options.channelOrder, (v) => parseChoice(v, 'channelOrder', CHANNEL_ORDERS), base.channelOrder ?? COMMON_DEFAULTS.channelOrder);
  const inTensorOrder = (t: Triple): Triple => (channelOrder === 'bgr' ? [t[2], t[1], t[0]] : [...t]);
  const resize = pick(options.resize, (v) => parseChoice(v, 'resize', RESIZE_MODES), base.resize);
  if (resize === 'fit' && (modelW !== undefined || modelH !== undefined)) {
    throw fail('PREPROCESSING_CONFLICT', `--resize fit gives each image its own size, but the model fixes ${modelW !== undefined ? 'its width' : 'its height'}`,
      'use --resize letterbox (pads to the fixed size) or a model exported with dynamic H/W');
  }
  const spec: Preprocessing = {
    preset,
    layout,
    width,
    height,
    channels,
    resize,
    anchor: pick(options.anchor, (v) => parseChoice(v, 'anchor', ANCHORS), base.anchor ?? COMMON_DEFAULTS.anchor),
    color: pick(options.color, (v) => parseChoice(v, 'color', COLOR_MODES), COMMON_DEFAULTS.color),
    alpha: pick(options.alpha, (v) => parseChoice(v, 'alpha', ALPHA_MODES), COMMON_DEFAULTS.alpha),
    padValue: pick(options.padValue, (v) => parseNumber(v, 'padValue', { min: 0, max: 255 }), base.padValue),
    cropFraction: pick(options.cropFraction, (v) => parseNumber(v, 'cropFraction', { min: 0.01, max: 1 }), base.cropFraction ?? COMMON_DEFAULTS.cropFraction),
    interpolation: pick(options.interpolation, (v) => parseChoice(v, 'interpolation', INTERPOLATIONS), COMMON_DEFAULTS.interpolation),
    scale: pick(options.scale, (v) => parseNumber(v, 'scale', { positive: true }), base.scale),
    mean: pick(options.mean, (v) => parseTriple(v, 'mean'), inTensorOrder(base.mean)),
    std: pick(options.std, (v) => parseTriple(v, 'std', { nonZero: true }), inTensorOrder(base.std)),
    channelOrder,
  };
  checkUnits(spec, input.name, base.scale);
  return spec;
}

/** NCHW when dim 1 holds the channels, NHWC when dim 3 does; NCHW (ONNX's norm) when both are dynamic. */
function inferLayout(dims: readonly (number | undefined)[]): Layout | undefined {
  const isChannels = (d: number | undefined): boolean => d !== undefined && isChannelCount(d);
  if (isChannels(dims[1])) return 'NCHW';
  if (isChannels(dims[3])) return 'NHWC';
  if (dims[1] === undefined) return 'NCHW';
  if (dims[3] === undefined) return 'NHWC';
  return undefined;
}

function isChannelCount(n: number): n is ChannelCount {
  return (CHANNEL_COUNTS as readonly number[]).includes(n);
}

function parseChannels(value: unknown): ChannelCount {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !isChannelCount(n)) throw invalidParameter('channels', CHANNEL_COUNTS.join(', '), value);
  return n;
}

/** Dims of one image tensor: [C, H, W] or [H, W, C]; `size` is the image's own for `fit`. */
export function imageDims(p: Preprocessing, size: { width: number; height: number } = p): number[] {
  return p.layout === 'NCHW' ? [p.channels, size.height, size.width] : [size.height, size.width, p.channels];
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
    // Absent in run.json files written before these fields existed: the behaviour they had.
    anchor: parseChoice(p.anchor ?? COMMON_DEFAULTS.anchor, 'anchor', ANCHORS),
    color: parseChoice(p.color ?? COMMON_DEFAULTS.color, 'color', COLOR_MODES),
    alpha: parseChoice(p.alpha ?? COMMON_DEFAULTS.alpha, 'alpha', ALPHA_MODES),
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
  const order = p.channels === 1 ? 'gray' : `${p.color === 'gray' ? `gray as ${p.channelOrder}` : p.channelOrder}${p.channels === 4 ? `+alpha (${p.alpha})` : ''}`;
  const at = p.anchor === 'center' ? '' : `, at ${p.anchor}`;
  const size = `${p.width}x${p.height}`;
  let resize: string;
  if (p.resize === 'crop') {
    const cover = `${round(p.width / p.cropFraction)}x${round(p.height / p.cropFraction)}`;
    resize = `crop ${size} (cover ${cover}${at})`;
  } else if (p.resize === 'letterbox') {
    resize = `letterbox ${size} (pad ${p.padValue}${at})`;
  } else if (p.resize === 'fit') {
    resize = `fit within ${size} (no padding)`;
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
