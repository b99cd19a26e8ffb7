/**
 * Latency of the built variants ÷ fp32 on ONNX Runtime CPU, per sample model: int8-ort (the
 * ort-cpu placement), int8 (the TensorRT placement, which ORT runs as float with fake
 * quantization), fp16 (emulated with Casts). Each model is calibrated on its own photos and
 * built with the library (calibrate → build), then the variants are timed interleaved in one
 * process (round-robin, so machine noise hits all alike), and optionally profiled with ORT's
 * profiler to show where the time goes (kernel time per op type).
 *
 *   node dist/bench/build-latency.js [--models det,fr_detect] [--iterations 30] [--threads 1]
 *        [--images 8] [--no-profile]
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { PreprocessingOptions } from '../datasets/images/index.js';
import type { OptimizationLevel } from '../src/engines/engine.js';
import { build } from '../src/pipeline/build.js';
import { calibrate } from '../src/pipeline/calibrate.js';
import { runPath, type RunFile } from '../src/run/layout.js';
import type { RunManifest } from '../src/run/schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LatencyModel {
  id: string;
  label: string;
  file: string;
  preprocessing: PreprocessingOptions;
  /** Sample folders (under datasets/samples) to calibrate on. */
  photos: string[];
}

export const LATENCY_MODELS: readonly LatencyModel[] = [
  { id: 'det', label: 'PaddleOCR det 640x640', file: 'ch_PP-OCRv4_det_infer.onnx', preprocessing: { preset: 'imagenet', resize: 'stretch', size: '640x640' }, photos: ['text/calibration', 'scenes/calibration'] },
  { id: 'rec', label: 'PaddleOCR rec 320x48', file: 'ch_PP-OCRv4_rec_infer.onnx', preprocessing: { preset: 'symmetric', resize: 'stretch', size: '320x48' }, photos: ['text/calibration'] },
  { id: 'cls', label: 'PaddleOCR cls 192x48', file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', preprocessing: { preset: 'symmetric', resize: 'stretch', size: '192x48' }, photos: ['text/calibration'] },
  { id: 'fr_detect', label: 'fr_detect 320x240', file: 'fr_detect.onnx', preprocessing: { resize: 'stretch', mean: 127, std: 128, scale: 1 }, photos: ['people/calibration', 'faces/calibration'] },
  { id: 'fr_expression', label: 'fr_expression 224x224', file: 'fr_expression.onnx', preprocessing: { preset: 'unit' }, photos: ['faces/calibration'] },
  { id: 'fr_feature', label: 'fr_feature 112x112', file: 'fr_feature.onnx', preprocessing: { resize: 'stretch', mean: 127, std: 128, scale: 1 }, photos: ['faces/calibration'] },
];

type VariantName = 'fp32' | 'int8-ort' | 'int8' | 'fp16';
/** The optimization levels `int8cal evaluate` uses (fp16's emulation Casts need `basic`). */
const VARIANTS: readonly { name: VariantName; file: RunFile; optimization: OptimizationLevel; label: string }[] = [
  { name: 'fp32', file: 'fp32', optimization: 'all', label: 'fp32' },
  { name: 'int8-ort', file: 'int8Ort', optimization: 'all', label: 'int8-ort (ort-cpu placement)' },
  { name: 'int8', file: 'int8', optimization: 'all', label: 'int8 (TensorRT placement)' },
  { name: 'fp16', file: 'fp16', optimization: 'basic', label: 'fp16 (emulated)' },
];

export interface VariantLatency {
  variant: VariantName;
  label: string;
  medianMs: number;
  p90Ms: number;
  /** median ÷ fp32 median. */
  ratio: number;
  /** Kernel time per op type (ORT profiler), largest first, when profiled. */
  profile?: { op: string; ms: number; share: number }[];
}

export interface ModelLatency {
  model: string;
  label: string;
  threads: number;
  iterations: number;
  variants: VariantLatency[];
}

export interface BuildLatencyOptions {
  models?: readonly string[];
  iterations?: number;
  warmup?: number;
  /** Intra-op threads (0 = all cores). */
  threads?: number;
  /** Calibration photos per model. */
  images?: number;
  profile?: boolean;
  onProgress?: (line: string) => void;
}

/** Calibrates, builds and times every requested sample model; returns the ratios. */
export async function measureBuildLatency(options: BuildLatencyOptions = {}): Promise<ModelLatency[]> {
  const cases = LATENCY_MODELS.filter((m) => !options.models || options.models.includes(m.id));
  const scratch = await mkdtemp(join(tmpdir(), 'int8cal-bench-build-'));
  const results: ModelLatency[] = [];
  try {
    for (const c of cases) {
      options.onProgress?.(`${c.label}: calibrating and building`);
      const run = await calibrateAndBuild(c, scratch, options.images ?? 8, options.threads ?? 0);
      options.onProgress?.(`${c.label}: timing`);
      results.push(await timeVariants(c, run, options));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return results;
}

async function calibrateAndBuild(c: LatencyModel, scratch: string, images: number, threads: number): Promise<string> {
  const data = join(scratch, `${c.id}-photos`);
  await mkdir(data, { recursive: true });
  for (const set of c.photos) {
    const dir = join(ROOT, 'datasets', 'samples', set);
    for (const name of (await readdir(dir)).sort()) await symlink(join(dir, name), join(data, `${set.replace('/', '_')}_${name}`));
  }
  const run = join(scratch, c.id);
  await calibrate({ model: join(ROOT, 'datasets', 'models', c.file), data, out: run, maxImages: images, batchSize: 1, threads, ...c.preprocessing });
  await build({ run });
  return run;
}

/** A deterministic input of the size calibration used. */
async function inputFeed(run: string): Promise<Record<string, ort.Tensor>> {
  const manifest = JSON.parse(await readFile(runPath(run, 'run'), 'utf8')) as RunManifest;
  const p = manifest.preprocessing;
  const dims = p.layout === 'NHWC' ? [1, p.height, p.width, p.channels] : [1, p.channels, p.height, p.width];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 1.5;
  return { [manifest.input]: new ort.Tensor('float32', data, dims) };
}

async function timeVariants(c: LatencyModel, run: string, options: BuildLatencyOptions): Promise<ModelLatency> {
  const threads = options.threads ?? 0;
  const iterations = options.iterations ?? 30;
  const sessions = new Map<VariantName, ort.InferenceSession>();
  for (const v of VARIANTS) {
    sessions.set(v.name, await ort.InferenceSession.create(runPath(run, v.file), sessionOptions(v.optimization, threads)));
  }
  const feed = await inputFeed(run);
  const times = new Map<VariantName, number[]>(VARIANTS.map((v) => [v.name, []]));
  try {
    for (const session of sessions.values()) for (let i = 0; i < (options.warmup ?? 5); i++) await session.run(feed);
    for (let i = 0; i < iterations; i++) {
      // Rotate the order each round so no variant always runs right after another.
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(i + k) % VARIANTS.length]!;
        const start = process.hrtime.bigint();
        await sessions.get(v.name)!.run(feed);
        times.get(v.name)!.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
  } finally {
    for (const s of sessions.values()) await s.release();
  }
  const fp32 = quantile(times.get('fp32')!, 0.5);
  const variants: VariantLatency[] = [];
  for (const v of VARIANTS) {
    const t = times.get(v.name)!;
    const entry: VariantLatency = { variant: v.name, label: v.label, medianMs: quantile(t, 0.5), p90Ms: quantile(t, 0.9), ratio: quantile(t, 0.5) / fp32 };
    if (options.profile ?? true) entry.profile = await profile(runPath(run, v.file), v.optimization, threads, feed, Math.min(iterations, 20));
    variants.push(entry);
  }
  return { model: c.id, label: c.label, threads, iterations, variants };
}

function sessionOptions(optimization: OptimizationLevel, threads: number, profilePrefix?: string): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'], graphOptimizationLevel: optimization, intraOpNumThreads: threads, interOpNumThreads: 1,
    logSeverityLevel: 3, ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  };
}

/** ORT's profiler: mean kernel time per op type over `runs` runs. */
async function profile(path: string, optimization: OptimizationLevel, threads: number, feed: Record<string, ort.Tensor>, runs: number) {
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-profile-'));
  try {
    const session = await ort.InferenceSession.create(path, sessionOptions(optimization, threads, join(dir, 'profile')));
    for (let i = 0; i < runs; i++) await session.run(feed);
    session.endProfiling();
    await session.release();
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) return [];
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as { cat?: string; name: string; dur: number; args?: { op_name?: string } }[];
    const byOp = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
      byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur / runs);
    }
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    return [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => ({ op, ms: us / 1000, share: total ? us / total : 0 }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function render(results: readonly ModelLatency[]): string {
  const names = VARIANTS.filter((v) => v.name !== 'fp32');
  const lines = [`| model | fp32 ms | ${names.map((v) => `${v.label} ÷ fp32`).join(' | ')} |`, `|---|---|${names.map(() => '---').join('|')}|`];
  for (const r of results) {
    const fp32 = r.variants.find((v) => v.variant === 'fp32')!;
    lines.push(`| ${r.label} | ${fp32.medianMs.toFixed(2)} | ${names.map((n) => r.variants.find((v) => v.variant === n.name)!.ratio.toFixed(2)).join(' | ')} |`);
  }
  for (const r of results) {
    for (const v of r.variants) {
      if (!v.profile?.length) continue;
      lines.push(`${r.model} ${v.variant}: ${v.profile.slice(0, 5).map((p) => `${p.op} ${(p.share * 100).toFixed(0)}%`).join(', ')}`);
    }
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const results = await measureBuildLatency({
    models: flag('models')?.split(','),
    iterations: flag('iterations') ? Number(flag('iterations')) : undefined,
    threads: flag('threads') ? Number(flag('threads')) : undefined,
    images: flag('images') ? Number(flag('images')) : undefined,
    profile: !argv.includes('--no-profile'),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${render(results)}\n`);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
