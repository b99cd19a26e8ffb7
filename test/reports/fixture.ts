/** A results object built with the real metric accumulators, with hostile names in every string slot. */
import { ClassificationAccumulator } from '../../src/metrics/classification.js';
import { averagePrecision, detectionMatch, type Detection } from '../../src/metrics/detection/index.js';
import { latencyStats } from '../../src/metrics/latency.js';
import { PdAccumulator } from '../../src/metrics/pd.js';
import { PsnrAccumulator, fromDecibels } from '../../src/metrics/psnr.js';
import { SimilarityAccumulator } from '../../src/metrics/similarity.js';
import type { CalibrationResult } from '../../src/run/schema.js';
import { summarizeCalibration } from '../../src/pipeline/evaluate/calibration-summary.js';
import { thumbnailPair } from '../../src/pipeline/evaluate/thumbnails.js';
import { RESULTS_VERSION, type OutputMetrics, type Results, type VariantResult } from '../../reports/results-schema.js';
import { parseGates, variantVerdict } from '../../src/pipeline/gates.js';

export const EVIL_TENSOR = '<script>alert(1)</script>';
export const EVIL_FILE = 'photo "<img src=x onerror=alert(2)>".jpg';
export const PIPE_TENSOR = 'a|b`c';

const IMAGES = ['cat.jpg', EVIL_FILE, 'dog.png'];
const H = 24;
const W = 32;

/** Deterministic pseudo-noise. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/** A gradient "depth map" per image, and a test version with noise of the given amplitude. */
function imagePair(index: number, amplitude: number, seed: number): { ref: Float32Array; test: Float32Array } {
  const rnd = noise(seed + index);
  const ref = new Float32Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ref[y * W + x] = (x / (W - 1)) * 0.6 + (y / (H - 1)) * 0.3 + (index % 2) * 0.1;
  const test = ref.map((v) => Math.min(1, Math.max(0, v + rnd() * amplitude)));
  return { ref, test };
}

const det = (x1: number, y1: number, x2: number, y2: number, score: number): Detection => ({ x1, y1, x2, y2, score, label: 0 });

async function variant(name: string, precision: 'fp32' | 'fp16' | 'int8', amplitude: number, latencyMs: number, referenceP50: number, psnrGate: number, placement?: 'tensorrt' | 'ort-cpu'): Promise<VariantResult> {
  const latency = latencyStats(Array.from({ length: 20 }, (_, i) => latencyMs + (i % 5) * 0.1));
  const base = { name, modelFile: name === 'fp32' ? 'model.fp32.onnx' : `model.${name}.onnx`, precision, ...(placement ? { placement } : {}) };
  const ap = averagePrecision([[det(0, 0, 10, 10, 0.9)], [det(20, 20, 30, 30, 0.8), det(0, 0, 5, 5, 0.4)], []], [[det(0, 0, 10, 10, 1)], [det(20, 20, 30, 30, 1)], [det(1, 1, 4, 4, 1)]]);
  if (name === 'fp32') {
    return { ...base, latency, outputs: [], worstImages: [], detection: { detector: 'boxes-scores' as const, outputs: ['boxes', 'scores'], reason: 'outputs boxes (boxes) and scores (scores)', guessed: true, boxFormat: 'xyxy' as const, scoreThreshold: 0.7, nmsIou: 0.4, ap }, verdict: { verdict: 'none', checks: [], speedup: 1 } };
  }
  const psnr = new PsnrAccumulator();
  const sim = new SimilarityAccumulator();
  const pd = new PdAccumulator({ network: 'fr-expression', tensor: '1159', threshold: 3.4, thresholdSource: 'mean PD of JPEG q50 re-encodes of the sample evaluation photos', featureSize: 4 });
  const cls = new ClassificationAccumulator();
  const pairs = IMAGES.map((_, i) => imagePair(i, amplitude, 7));
  pairs.forEach(({ ref, test }, i) => {
    psnr.add(ref, test);
    sim.add(ref, test);
    pd.add([1, 2, 3, i], [1 + amplitude * 10, 2, 3, i + amplitude * 20]);
    cls.add([0.1, 0.7, 0.2], amplitude > 0.1 && i === 1 ? [0.5, 0.3, 0.2] : [0.1, 0.6, 0.3]);
  });
  const clsSim = new SimilarityAccumulator();
  clsSim.add([0.1, 0.7, 0.2], [0.1, 0.69, 0.21]);
  const clsPsnr = new PsnrAccumulator();
  clsPsnr.add([0.1, 0.7, 0.2], [0.1, 0.69, 0.21]);
  const outputs: OutputMetrics[] = [
    { name: EVIL_TENSOR, dims: [1, 1, H, W], psnr: psnr.result(), similarity: sim.result(), pd: pd.result() },
    { name: PIPE_TENSOR, dims: [1, 3], psnr: clsPsnr.result(), similarity: clsSim.result(), classification: cls.result() },
  ];
  const f1 = detectionMatch();
  f1.add([det(0, 0, 10, 10, 0.9)], amplitude > 0.1 ? [] : [det(0, 0, 10, 10, 0.9)]);
  const p = outputs[0]!.psnr!;
  const worstIndex = p.perImage.map((d, i) => ({ d: fromDecibels(d), i })).sort((a, b) => a.d - b.d)[0]!.i;
  const plane = (data: Float32Array) => ({ channels: 1 as const, height: H, width: W, data });
  const thumbnails = await thumbnailPair(plane(pairs[worstIndex]!.ref), plane(pairs[worstIndex]!.test));
  const measured = {
    ...base,
    latency: precision === 'fp16' ? { ...latency, emulated: true as const } : latency,
    outputs,
    detection: { detector: 'boxes-scores' as const, outputs: ['boxes', 'scores'], reason: 'outputs boxes (boxes) and scores (scores)', guessed: true, boxFormat: 'xyxy' as const, scoreThreshold: 0.7, nmsIou: 0.4, f1: f1.result(), ap },
    worstImages: [
      { file: IMAGES[worstIndex]!, output: EVIL_TENSOR, psnr: p.perImage[worstIndex]!, pd: outputs[0]!.pd!.perImage[worstIndex]!, thumbnails },
      { file: IMAGES[(worstIndex + 1) % 3]!, output: EVIL_TENSOR, psnr: p.perImage[(worstIndex + 1) % 3]!, thumbnails: { reference: 'javascript:alert(3)', test: thumbnails.test } },
    ],
  };
  const { unmatched: _, ...verdict } = variantVerdict(measured, parseGates(`psnr<${psnrGate}`), referenceP50);
  return { ...measured, verdict };
}

export function calibrationFixture(): CalibrationResult {
  const tensor = (amax: number, fractionClipped: number) => ({ amax, scale: Math.fround(amax / 127), calibrator: 'entropy2', fractionClipped, count: 1e6, nanCount: 0, infCount: 0, absMax: amax * 1.8, flags: [] });
  return {
    schema: 'int8cal/calibration', version: 1, calibrator: 'entropy2', histogram: 'exact', cacheHeader: { trtVersion: 101601, algorithm: 'EntropyCalibration2' },
    tensors: { input: tensor(2.64, 0), [EVIL_TENSOR]: tensor(6.1, 0.0042), conv1: tensor(11.5, 0.0013), 'relu_1 | `x`': tensor(4.2, 0.0001), dead: { ...tensor(0, 0), flags: ['all-zero'] } },
  };
}

/** Histograms shaped like ReLU activations: many small values, a long tail past amax. */
function histogram(tensor: string) {
  const amax = calibrationFixture().tensors[tensor]!.amax;
  const range = amax * 1.8;
  const counts = Array.from({ length: 2048 }, (_, i) => Math.round(2e5 * Math.exp(-(i / 2048) * range * 1.5)));
  return { range, counts };
}

/** `scale` < 1 makes every variant noisier (a worse run, for baseline comparisons). */
export async function resultsFixture(scale = 1, run = '/tmp/runs/demo'): Promise<Results> {
  const fp32 = await variant('fp32', 'fp32', 0, 12, 12, 30);
  const variants = [
    fp32,
    await variant('fp16', 'fp16', 0.002 / scale, 15.5, fp32.latency.p50, 30),
    await variant('int8', 'int8', 0.15 / scale, 6.2, fp32.latency.p50, 30, 'tensorrt'),
    await variant('int8-ort', 'int8', 0.03 / scale, 7.9, fp32.latency.p50, 30, 'ort-cpu'),
  ];
  return {
    schema: 'int8cal/results',
    version: RESULTS_VERSION,
    createdAt: '2025-01-02T03:04:05.000Z',
    run,
    model: { source: `/models/${EVIL_TENSOR}.onnx`, sha256: 'ab'.repeat(32) },
    input: 'input',
    preprocessing: 'unit: NCHW 3x224x224 rgb, stretch to 224x224, linear, value = x/255',
    evaluation: {
      data: '/data/eval', images: IMAGES, task: 'detection', batchSize: 1, iterations: 20, warmup: 3,
      pd: { network: 'fr-expression', model: 'datasets/models/fr_expression.onnx', tensor: '1159', threshold: 3.4, thresholdSource: 'mean PD of JPEG q50 re-encodes of the sample evaluation photos' },
      gates: [{ expression: 'psnr<30', metric: 'psnr', op: '<', value: 30 }],
    },
    environment: { cpu: 'Test CPU @ 3.0GHz', cores: 2, threads: 0, platform: 'linux', arch: 'x64', node: 'v20.0.0', onnxruntime: '1.30.0', int8cal: '0.1.0', backend: 'onnxruntime-cpu' },
    reference: 'fp32',
    variants,
    calibration: summarizeCalibration(calibrationFixture(), histogram, { histograms: 2 }),
  };
}
