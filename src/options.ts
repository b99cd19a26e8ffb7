import { CALIBRATOR_CHECKS } from '../calibrators/auto.js';
import { CALIBRATOR_NAMES } from '../calibrators/registry.js';
import { ALPHA_MODES, ANCHORS, CHANNEL_ORDERS, COLOR_MODES, LAYOUTS, PRESET_NAMES, RESIZE_MODES } from '../datasets/images/preprocessing.js';
import { TASKS } from '../reports/results-schema.js';
import { invalidParameter } from './core/errors.js';
import { HISTOGRAM_MODES } from './core/native.js';
import { BOX_FORMATS } from './metrics/detection/boxes.js';
import { DETECTORS } from './metrics/detection/heads/index.js';
import { PLACEMENT_NAMES, placementOf } from './onnx/qdq/index.js';
import { BUILD_PRECISIONS } from './onnx/precisions.js';
import { TRT_ENGINES, TRT_PRECISION_CONSTRAINTS, TRT_SCALES, type TrtBuildMode, type TrtPrecisionConstraints, type TrtScales } from './core/tensorrt.js';
import { ENGINE_KINDS, type EngineKind } from './engines/registry.js';
import type { OrtWeightBitsChoice } from './engines/ort-int8-kernels.js';

/**
 * One table for every option: flag, help text, default and parser. The CLI builds its flags
 * from it, the library fills defaults from it, and the README's option docs come from it.
 * A default lives here and nowhere else.
 */
export interface OptionDef<T = unknown> {
  /** Commander flag syntax, e.g. "--batch-size <n>". */
  flag: string;
  help: string;
  default?: T;
  choices?: readonly string[];
  parse?: (raw: string, name: string) => T;
}

export const positiveInt = (raw: string, name: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw invalidParameter(name, 'a positive integer', raw);
  return value;
};
const nonNegativeInt = (raw: string, name: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw invalidParameter(name, 'a non-negative integer', raw);
  return value;
};
const finiteNumber = (raw: string, name: string): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw invalidParameter(name, 'a number', raw);
  return value;
};
export const percentage = (raw: string, name: string): number => {
  const value = finiteNumber(raw, name);
  if (value <= 0 || value > 100) throw invalidParameter(name, 'a percentage in (0, 100]', raw);
  return value;
};
/** A probability, score or IoU: a number in [0, 1]. */
export const unitInterval = (raw: string, name: string): number => {
  const value = finiteNumber(raw, name);
  if (value < 0 || value > 1) throw invalidParameter(name, 'a number in [0, 1]', raw);
  return value;
};
const weightBits = (raw: string, name: string): OrtWeightBitsChoice => {
  if (raw === 'auto') return raw;
  if (raw !== '7' && raw !== '8') throw invalidParameter(name, '7, 8 or auto', raw);
  return Number(raw) as 7 | 8;
};
/** "2/3" → the 2nd of 3 shards (1-based, like most job runners' array indices). */
const shardSpec = (raw: string, name: string): { index: number; count: number } => {
  const match = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) throw invalidParameter(name, 'i/n with 1 <= i <= n, e.g. 2/4', raw);
  return { index, count };
};
const list = (raw: string): string[] => raw.split(',').map((s) => s.trim()).filter(Boolean);
/** "2GiB", "512MiB", "1e9" → bytes. */
export const byteSize = (raw: string, name: string): number => {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(raw.trim());
  if (!match) throw invalidParameter(name, 'a size like 2GiB or 512MiB', raw);
  const units: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1e3, mb: 1e6, gb: 1e9 };
  return Math.round(Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()]!);
};

export const OPTIONS = {
  // inputs and outputs
  model: { flag: '--model <file>', help: 'ONNX model (fp32) to quantize' },
  data: { flag: '--data <dir|file>', help: 'folder of images (searched recursively: jpg, png, webp, tiff, gif), or a .npy/.npz of input tensors [N, ...] (a .npz: one array per model input, named after it; needed for several inputs)' },
  out: { flag: '--out <dir>', help: 'run directory to write (created if missing)' },
  run: { flag: '--run <dir>', help: 'run directory written by an earlier stage' },
  config: { flag: '--config <file>', help: 'JSON file of options named as the flags (e.g. {"calibrator": "percentile", "batch-size": 4}); flags on the command line override it' },
  json: { flag: '--json', help: 'print machine-readable JSON instead of text', default: false },
  quiet: { flag: '--quiet', help: 'no progress bars', default: false },
  threads: { flag: '--threads <n>', help: 'ONNX Runtime intra-op threads (0 = all cores)', default: 0, parse: nonNegativeInt },
  // images → tensors
  input: { flag: '--input <name>', help: 'model input that receives the images (required when the model has several)' },
  preset: { flag: '--preset <name>', help: 'preprocessing preset (inspect says which one int8cal picks and why)', choices: PRESET_NAMES },
  size: { flag: '--size <WxH>', help: 'network input size, e.g. 640x640 (required when the model input has dynamic H/W; with --resize fit, the box images are fitted in)' },
  layout: { flag: '--layout <layout>', help: 'tensor layout (inferred from the model input when static)', choices: LAYOUTS },
  resize: {
    flag: '--resize <mode>',
    help: 'how images are fitted to the input size: stretch, letterbox (fit inside, pad), crop (cover, crop), fit (fit inside keeping the aspect, no padding: the tensor takes the fitted size; models with dynamic H/W, one image per batch)',
    choices: RESIZE_MODES,
  },
  anchor: { flag: '--anchor <where>', help: 'letterbox/crop: centre the image, or put it at the top-left corner (YOLOX pads only right and bottom)', choices: ANCHORS },
  padValue: { flag: '--pad-value <v>', help: 'letterbox border, as a 0-255 pixel value before scale/mean/std (yolo presets: 114)' },
  cropFraction: { flag: '--crop-fraction <f>', help: 'crop: the image covers size/f before the crop (torchvision 0.875: 224 from 256; 1 = crop the short side exactly)' },
  mean: { flag: '--mean <values>', help: 'per-channel mean subtracted after scaling, in the units of pixel x scale, e.g. 0.485,0.456,0.406 (scale 1/255) or 127 (--scale 1)' },
  std: { flag: '--std <values>', help: 'per-channel std divided after subtracting the mean, in the same units as --mean' },
  scale: { flag: '--scale <x>', help: 'pixel multiplier applied first, e.g. 1/255 or 1 (pixels stay 0-255)' },
  channelOrder: { flag: '--channel-order <order>', help: 'channel order the model expects', choices: CHANNEL_ORDERS },
  color: { flag: '--color <mode>', help: 'gray: the image\'s luminance in every colour channel (models trained on grey scans); 1-channel inputs are always gray', choices: COLOR_MODES },
  alpha: { flag: '--alpha <mode>', help: '4-channel inputs: keep = the image\'s alpha (255 where it has none), opaque = 255 everywhere; the alpha channel is alpha x scale, without mean/std', choices: ALPHA_MODES },
  skipBadImages: { flag: '--skip-bad-images', help: 'skip undecodable images with a warning instead of failing', default: false },
  // calibration
  calibrator: {
    flag: '--calibrator <name>',
    help: 'how amax is chosen from the histograms: auto (per tensor, the best of entropy2, minmax, percentile 99.9/99.99/99.999 and mse by expected SQNR; ' +
      'run and tune confirm it on the evaluation images), entropy2 (TensorRT EntropyCalibration2; with --histogram trt it matches TensorRT\'s own scales), minmax, percentile, mse',
    default: 'auto', choices: CALIBRATOR_NAMES,
  },
  percentile: { flag: '--percentile <p>', help: 'percentile for --calibrator percentile', default: 99.99, parse: percentage },
  batchSize: { flag: '--batch-size <n>', help: 'images per calibration batch', default: 8, parse: positiveInt },
  maxImages: { flag: '--max-images <n>', help: 'use at most this many images (the first ones in sorted order)', parse: positiveInt },
  histogram: {
    flag: '--histogram <mode>',
    help: 'exact: order-independent histogram (same scales whatever the image order or batch size); trt: TensorRT\'s own 2048-bin histogram whose range doubles when exceeded',
    default: 'exact', choices: HISTOGRAM_MODES,
  },
  shard: {
    flag: '--shard <i/n>',
    help: 'calibrate only the i-th of n parts of the images (whole batches, in sorted order) and write partial histograms; ' +
      'combine the n shard runs with `int8cal merge-histograms` (exact histograms only)',
    parse: shardSpec,
  },
  cache: { flag: '--cache <file>', help: 'reuse an existing TensorRT calibration cache instead of calibrating' },
  fromHistograms: { flag: '--from-histograms <dir>', help: 'recompute scales from RUN/histograms.bin without running the model' },
  trtVersion: {
    flag: '--trt-version <n>',
    help: 'TensorRT version written in the cache header (major*10000+minor*100+patch); TensorRT ignores caches from other versions',
    default: 101601, parse: positiveInt,
  },
  cacheHeader: {
    flag: '--cache-header <algo>',
    help: 'algorithm named in the cache header; trtexec --calib only accepts EntropyCalibration2, so it is the default whatever --calibrator is (the real calibrator is recorded in calibration.json)',
    default: 'EntropyCalibration2',
  },
  maxActivationMemory: {
    flag: '--max-activation-memory <size>',
    help: 'activations held at once (ONNX Runtime\'s, the fetched ones and their copies; estimated from the model\'s shapes), less an eighth (at most 256 MiB) kept for the rest of the process; above it batches run a few images at a time, or tensors are split into balanced groups, one pass per group; one image above it is refused',
    default: 2 * 1024 ** 3, parse: byteSize,
  },
  // build
  precisions: { flag: '--precisions <list>', help: `variants to build: ${BUILD_PRECISIONS.join(', ')}`, default: [...BUILD_PRECISIONS], parse: list },
  target: { flag: '--target <list>', help: `Q/DQ placements: ${PLACEMENT_NAMES.map((p) => `${p} (variant ${placementOf(p).variant})`).join(', ')}`, default: [...PLACEMENT_NAMES], parse: list },
  exclude: { flag: '--exclude <pattern...>', help: 'keep nodes in float: node name, /regex/ or op type' },
  perTensorWeights: { flag: '--per-tensor-weights', help: 'one weight scale per tensor instead of per output channel', default: false },
  ortWeightBits: {
    flag: '--ort-weight-bits <n>',
    help: 'weight range of the ort-cpu model: 8 ([-127, 127]) for CPUs with VNNI (AVX-512 VNNI or AVX-VNNI) and ARM; ' +
      '7 ([-63, 63], ONNX Runtime\'s reduce_range) for x86 CPUs without VNNI, whose uint8 x int8 kernels add pairs of products in saturating int16; ' +
      'auto: the right one for this machine (pass 7 or 8 when the model will run on another kind of CPU); tune keeps what build chose',
    default: 'auto' as OrtWeightBitsChoice, parse: weightBits,
  },
  engine: {
    flag: '--engine <kind>',
    help: 'onnxruntime: the ONNX models only; tensorrt: also TensorRT engines RUN/engine.{fp32,fp16,int8,int8-qdq}.plan (needs an NVIDIA GPU and `npm run tensorrt`)',
    default: 'onnxruntime' as EngineKind, choices: ENGINE_KINDS,
  },
  trtEngines: { flag: '--trt-engines <list>', help: `TensorRT engines to build: ${TRT_ENGINES.join(', ')}`, default: [...TRT_ENGINES] as TrtBuildMode[], parse: list },
  trtScales: {
    flag: '--trt-scales <source>',
    help: 'scales of the implicit-INT8 engine: int8cal (RUN/calibration.cache, TensorRT never calibrates) or tensorrt (TensorRT\'s own calibration on the run\'s images, batch 1; cache in RUN/calibration.tensorrt.cache)',
    default: 'int8cal' as TrtScales, choices: TRT_SCALES,
  },
  trtOptimizationLevel: { flag: '--trt-optimization-level <n>', help: 'TensorRT builder optimization level 0-5 (TensorRT\'s default 3 takes minutes per engine)', default: 1, parse: nonNegativeInt },
  trtPrecisionConstraints: {
    flag: '--trt-precision-constraints <mode>',
    help: 'fp16 engine: none (TensorRT may keep layers in fp32 where that is faster), prefer (ask every float layer for fp16, fall back where impossible) or obey (fail instead)',
    default: 'none' as TrtPrecisionConstraints, choices: TRT_PRECISION_CONSTRAINTS,
  },
  trtConstantScales: {
    flag: '--no-trt-constant-scales',
    help: 'int8 engine with int8cal\'s scales: leave out the `<constant>_output` entries int8cal adds for the constants TensorRT turns into layers (to count what they fix)',
    default: true,
  },
  trtQdqFp16: {
    flag: '--no-trt-qdq-fp16',
    help: 'int8-qdq engine: kINT8 only, so the layers outside Q/DQ pairs run in fp32 as in ONNX Runtime\'s emulation (default: kINT8 | kFP16, TensorRT may run them in fp16)',
    default: true,
  },
  trtTimingCache: { flag: '--trt-timing-cache <file>', help: 'TensorRT timing cache to read and update (default RUN/tensorrt.timing-cache)' },
  cudaGraph: { flag: '--cuda-graph', help: 'time TensorRT engines by replaying a captured CUDA graph', default: false },
  allowLowCoverage: {
    flag: '--allow-low-coverage',
    help: 'write an int8 model even when it quantizes under half of the compute ops (reports then call it "not quantized (k of n ops int8)")',
    default: false,
  },
  // evaluate
  variants: { flag: '--variants <list>', help: 'variants to evaluate (the -tuned ones are written by tune and skipped when absent)', default: ['fp32', 'fp16', ...PLACEMENT_NAMES.map((p) => placementOf(p).variant), ...PLACEMENT_NAMES.map((p) => placementOf(p).tunedVariant)], parse: list },
  iterations: { flag: '--iterations <n>', help: 'timed runs per variant for latency (after 3 warm-up runs), variants interleaved', default: 20, parse: positiveInt },
  task: {
    flag: '--task <task>',
    help: 'task metrics: classification (top-1 agreement), detection (F1 vs fp32, AP vs --ground-truth), map (probability-map IoU), segmentation ([N, C, H, W] class scores: arg-max label maps vs fp32, mIoU and pixel agreement), none; auto guesses from the outputs',
    default: 'auto', choices: ['auto', ...TASKS],
  },
  detector: {
    flag: '--detector <head>',
    help: 'detection: how the outputs decode to boxes: yolov5 ([N, boxes, 5+classes], objectness), yolov8 ([N, 4+classes, boxes]), ' +
      'yolox (raw grid head, strides 8/16/32), picodet (per-stride score maps + DFL box maps), boxes-scores (separate decoded tensors); auto guesses from the output shapes',
    default: 'auto', choices: ['auto', ...DETECTORS],
  },
  classes: { flag: '--classes <n>', help: 'detection: class columns of a YOLO head (default: all after the box/objectness ones; set it when mask coefficients follow)', parse: positiveInt },
  boxes: { flag: '--boxes <name>', help: 'detection: output holding the boxes (default: an output named "boxes")' },
  scores: { flag: '--scores <name>', help: 'detection: output holding the class scores (default: an output named "scores")' },
  boxFormat: { flag: '--box-format <format>', help: 'detection: box encoding', default: 'xyxy', choices: BOX_FORMATS },
  scoreThreshold: { flag: '--score-threshold <t>', help: 'detection: minimum score of a detection', default: 0.5, parse: unitInterval },
  nmsIou: { flag: '--nms-iou <u>', help: 'detection: NMS suppresses boxes overlapping a better one by more than this IoU', default: 0.45, parse: unitInterval },
  groundTruth: {
    flag: '--ground-truth <file>',
    help: 'detection: boxes for AP — COCO JSON, a folder of YOLO .txt labels (class cx cy w h, normalized), or JSON {"image.jpg": [{"x1","y1","x2","y2"}]} in source pixels',
  },
  classFolders: {
    flag: '--class-folders',
    help: 'classification: the evaluation images sit in one folder per class (integer names = class indices, else sorted names = 0, 1, …): top-1 accuracy against them',
    default: false,
  },
  mapThreshold: { flag: '--map-threshold <t>', help: 'map: probability at which maps are binarized for IoU', default: 0.5, parse: unitInterval },
  pdModel: { flag: '--pd-model <file>', help: 'feature network for perceptual distance (default: fr_expression.onnx of the samples, pooled features)' },
  pdTensor: { flag: '--pd-tensor <name>', help: 'feature tensor of the PD network (e.g. InceptionV3 pool features)' },
  pdThreshold: { flag: '--pd-threshold <x>', help: 'PD pass threshold (default: the known network\'s; 12 for InceptionV3 pool features)', parse: finiteNumber },
  failOn: { flag: '--fail-on <gates>', help: 'exit non-zero when a gate fails, e.g. "psnr<30,pd>3,top1<0.95" (for CI)' },
  baseline: { flag: '--baseline <dir>', help: 'an older run directory: every metric shows its change since then' },
  // tune
  accuracyTarget: {
    flag: '--accuracy-target <expr>',
    help: 'pass condition tune searches for, e.g. "psnr>=30" or "f1>=0.95,cosine>=0.99" (metrics psnr, pd, top1, f1, ap, cosine, miou; >= or <=; all must hold)',
  },
  maxEvaluations: { flag: '--max-evaluations <n>', help: 'tune: real evaluations on the tune images per placement (greedy moves, the fallback, pruning)', default: 36, parse: positiveInt },
  tuneImages: { flag: '--tune-images <n>', help: 'tune and run\'s calibrator check: evaluation images every candidate is scored on (the first N, sorted; run uses at most half); evaluate holds them out', default: 8, parse: positiveInt },
  calibratorCheck: {
    flag: '--calibrator-check <how>',
    help: 'run\'s check of --calibrator auto: evaluation (the best on the --tune-images choosing images) or cross-fit (among the candidates those images cannot ' +
      'tell apart — paired per-image PSNR within 2 standard errors — the best on them plus the calibration images, each half scored with scales from the other half; costs one more calibration pass; exact histograms of an image folder only)',
    default: 'evaluation', choices: CALIBRATOR_CHECKS,
  },
  tuneIterations: { flag: '--tune-iterations <n>', help: 'tune: timed runs per ort-cpu step (interleaved with fp32)', default: 10, parse: positiveInt },
  baselineForce: { flag: '--baseline-force', help: 'compare with a --baseline evaluated on other images, preprocessing or outputs (labelled in the report)', default: false },
  evalData: { flag: '--eval-data <dir|file>', help: 'folder of evaluation images, distinct from the calibration images (or a .npy/.npz of input tensors)' },
} satisfies Record<string, OptionDef>;

export type OptionKey = keyof typeof OPTIONS;

/** The default of an option, typed. */
export function defaultOf<K extends OptionKey>(key: K): (typeof OPTIONS)[K] extends { default: infer D } ? D : undefined {
  return (OPTIONS[key] as OptionDef).default as never;
}
