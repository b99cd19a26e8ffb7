/**
 * Latency of the built variants ÷ fp32 on ONNX Runtime CPU, per sample model: int8-ort (the
 * ort-cpu placement), int8 (the TensorRT placement, which ORT runs as float with fake
 * quantization), fp16 (emulated with Casts) — and, beside them, the Q/DQ models ONNX Runtime's
 * own Python `quantize_static` makes from the same photos (bench/quantize-static.ts), or the
 * reason there is none / it doesn't load. Each model is calibrated on its own photos and built
 * with the library (calibrate → build); every variant is scored against fp32 (PSNR, on a few
 * evaluation photos: bench/variant-psnr.ts), then timed interleaved in one process (round-robin,
 * so machine noise hits all alike), and optionally profiled with ORT's profiler to show where
 * the time goes (kernel time per op type).
 *
 *   node dist/bench/build-latency.js [--models det,fr_detect] [--iterations 30] [--threads 1]
 *        [--images 8] [--eval-images 6] [--no-peer] [--no-profile] [--json]
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { PreprocessingOptions } from '../datasets/images/index.js';
/** ONNX Runtime's own level names: these benches time raw sessions. */
type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
import { build } from '../src/pipeline/build.js';
import { calibrate } from '../src/pipeline/calibrate.js';
import { runPath, type RunFile } from '../src/run/layout.js';
import type { RunManifest } from '../src/run/schema.js';
import type { SpawnLimits } from './calibrate.js';
import { interleave, profile, quantile, sessionOptions, type OpTime, type TimedVariant } from './ort-timing.js';
import { ensurePeer, type PeerSetup } from './peer.js';
import { PEER_METHOD, PEER_VARIANTS, quantizeStatic, type PeerModel } from './quantize-static.js';
import { evaluationPhotos, formatDecibels, psnrVsFp32, type VariantPsnr } from './variant-psnr.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LatencyModel {
  id: string;
  label: string;
  file: string;
  preprocessing: PreprocessingOptions;
  /** Sample folders (under datasets/samples) to calibrate on. */
  photos: string[];
  /** Sample folder of photos of the model's domain, never calibrated on, for PSNR vs fp32. */
  evaluation: string;
}

export const LATENCY_MODELS: readonly LatencyModel[] = [
  { id: 'det', label: 'PaddleOCR det 640x640', file: 'ch_PP-OCRv4_det_infer.onnx', preprocessing: { preset: 'imagenet', resize: 'stretch', size: '640x640' }, photos: ['text/calibration', 'scenes/calibration'], evaluation: 'text/evaluation' },
  { id: 'rec', label: 'PaddleOCR rec 320x48', file: 'ch_PP-OCRv4_rec_infer.onnx', preprocessing: { preset: 'symmetric', resize: 'stretch', size: '320x48' }, photos: ['text/calibration'], evaluation: 'text/evaluation' },
  { id: 'cls', label: 'PaddleOCR cls 192x48', file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', preprocessing: { preset: 'symmetric', resize: 'stretch', size: '192x48' }, photos: ['text/calibration'], evaluation: 'text/evaluation' },
  { id: 'fr_detect', label: 'fr_detect 320x240', file: 'fr_detect.onnx', preprocessing: { resize: 'stretch', mean: 127, std: 128, scale: 1 }, photos: ['people/calibration', 'faces/calibration'], evaluation: 'people/evaluation' },
  { id: 'fr_expression', label: 'fr_expression 224x224', file: 'fr_expression.onnx', preprocessing: { preset: 'unit' }, photos: ['faces/calibration'], evaluation: 'lfw/evaluation' },
  { id: 'fr_feature', label: 'fr_feature 112x112', file: 'fr_feature.onnx', preprocessing: { resize: 'stretch', mean: 127, std: 128, scale: 1 }, photos: ['faces/calibration'], evaluation: 'lfw/evaluation' },
];

interface Variant extends TimedVariant { label: string }

/** int8cal's variants, at the optimization levels `int8cal evaluate` uses (fp16's emulation Casts need `basic`). */
const BUILT: readonly { name: string; file: RunFile; optimization: OptimizationLevel; label: string }[] = [
  { name: 'fp32', file: 'fp32', optimization: 'all', label: 'fp32' },
  { name: 'int8-ort', file: 'model.int8-ort.onnx', optimization: 'all', label: 'int8-ort (ort-cpu placement)' },
  { name: 'int8', file: 'model.int8.onnx', optimization: 'all', label: 'int8 (TensorRT placement)' },
  { name: 'fp16', file: 'fp16', optimization: 'basic', label: 'fp16 (emulated)' },
];

export interface VariantLatency {
  variant: string;
  label: string;
  /** Set when the variant could not be timed: the peer failed to quantize, or its model doesn't load. */
  error?: string;
  medianMs?: number;
  p90Ms?: number;
  /** median ÷ fp32 median. */
  ratio?: number;
  /** vs fp32 on the evaluation photos (absent for fp32 itself). */
  psnr?: VariantPsnr;
  /** ort-peer.py's report, for the peer's variants. */
  peer?: PeerModel['report'];
  /** Kernel time per op type (ORT profiler), largest first, when profiled. */
  profile?: OpTime[];
}

export interface ModelLatency {
  model: string;
  label: string;
  threads: number;
  iterations: number;
  /** Evaluation photos PSNR was measured on (sample folder and file names). */
  evaluation: { set: string; files: string[] };
  variants: VariantLatency[];
}

export interface BuildLatencyOptions {
  models?: readonly string[];
  iterations?: number;
  warmup?: number;
  /** Intra-op threads (0 = all cores). */
  threads?: number;
  /** Calibration photos per model (int8cal's and the peer's). */
  images?: number;
  /** Evaluation photos per model, for PSNR vs fp32. */
  evalImages?: number;
  profile?: boolean;
  /** ONNX Runtime's Python peer: a setup from ensurePeer, false to leave it out; default: set it up. */
  peer?: PeerSetup | false;
  /** Limits of each quantize_static child (the machine is shared). */
  peerLimits?: SpawnLimits;
  onProgress?: (line: string) => void;
}

/** Calibrates, builds and times every requested sample model; returns the ratios. */
export async function measureBuildLatency(options: BuildLatencyOptions = {}): Promise<ModelLatency[]> {
  const cases = LATENCY_MODELS.filter((m) => !options.models || options.models.includes(m.id));
  const peer = options.peer ?? await ensurePeer((line) => options.onProgress?.(line));
  const scratch = await mkdtemp(join(tmpdir(), 'int8cal-bench-build-'));
  const results: ModelLatency[] = [];
  try {
    for (const c of cases) {
      options.onProgress?.(`${c.label}: calibrating and building`);
      const run = await calibrateAndBuild(c, scratch, options.images ?? 8, options.threads ?? 0);
      let peers: PeerModel[] = [];
      if (peer) {
        options.onProgress?.(`${c.label}: ONNX Runtime quantize_static (${PEER_METHOD}) on the same photos`);
        const dir = join(scratch, `${c.id}-peer`);
        await mkdir(dir, { recursive: true });
        peers = await quantizeStatic({
          run, model: join(ROOT, 'datasets', 'models', c.file), setup: peer, threads: options.threads ?? 0, scratch: dir,
          limits: options.peerLimits ?? { timeoutMs: 900_000, maxRssBytes: 12 * 1024 ** 3 },
        });
      }
      options.onProgress?.(`${c.label}: PSNR and timing`);
      results.push(await timeVariants(c, run, peers, options));
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
function inputFeed(manifest: RunManifest): Record<string, ort.Tensor> {
  const p = manifest.preprocessing!; // bench runs calibrate from images
  const dims = p.layout === 'NHWC' ? [1, p.height, p.width, p.channels] : [1, p.channels, p.height, p.width];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 1.5;
  return { [manifest.input]: new ort.Tensor('float32', data, dims) };
}

/**
 * ORT's load error for the table: its first line without the "Load model from PATH failed:"
 * preamble, and "This is an invalid model. In Node, (NAME, …) , Error WHY" shortened to "WHY (node NAME)".
 */
export function loadError(error: unknown): string {
  const line = String((error as Error)?.message ?? error).split('\n')[0]!.replace(/^Load model from \S+ failed:\s*/, '').trim();
  const node = /In Node, \("([^"]*)".*, Error (.+)$/.exec(line);
  return node ? `${node[2]!.trim()} (node ${node[1]})` : line;
}

async function timeVariants(c: LatencyModel, run: string, peers: readonly PeerModel[], options: BuildLatencyOptions): Promise<ModelLatency> {
  const threads = options.threads ?? 0;
  const iterations = options.iterations ?? 30;
  const manifest = JSON.parse(await readFile(runPath(run, 'run'), 'utf8')) as RunManifest;
  const entries: VariantLatency[] = [];
  const timed: Variant[] = [];
  const sessions = new Map<string, ort.InferenceSession>();
  const candidates: (Variant & { error?: string; peer?: PeerModel['report'] })[] = [
    ...BUILT.map((v) => ({ name: v.name, label: v.label, path: runPath(run, v.file), optimization: v.optimization })),
    ...peers.map((p) => ({ name: p.name, label: p.label, path: p.path ?? '', optimization: 'all' as const, error: p.error, peer: p.report })),
  ];
  const evalSet = join(ROOT, 'datasets', 'samples', c.evaluation);
  const files = await evaluationPhotos(evalSet, options.evalImages ?? 6);
  try {
    for (const v of candidates) {
      const entry: VariantLatency = { variant: v.name, label: v.label, ...(v.peer ? { peer: v.peer } : {}) };
      entries.push(entry);
      if (v.error !== undefined) { entry.error = v.error; continue; }
      try {
        sessions.set(v.name, await ort.InferenceSession.create(v.path, sessionOptions(v.optimization, threads)));
        timed.push(v);
      } catch (error) {
        if (v.name === 'fp32') throw error;
        entry.error = `fails: ${loadError(error)}`;
      }
    }
    const tests = new Map([...sessions].filter(([name]) => name !== 'fp32'));
    const psnr = await psnrVsFp32(sessions.get('fp32')!, tests, files, manifest.preprocessing!, manifest.input);
    for (const e of entries) if (psnr.has(e.variant)) e.psnr = psnr.get(e.variant);
    const times = await interleave(timed, sessions, inputFeed(manifest), iterations, options.warmup ?? 5);
    const fp32 = quantile(times.get('fp32')!, 0.5);
    for (const v of timed) {
      const t = times.get(v.name)!;
      const entry = entries.find((e) => e.variant === v.name)!;
      Object.assign(entry, { medianMs: quantile(t, 0.5), p90Ms: quantile(t, 0.9), ratio: quantile(t, 0.5) / fp32 });
      if (options.profile ?? true) entry.profile = await profile(v.path, v.optimization, threads, inputFeed(manifest), Math.min(iterations, 20));
    }
  } finally {
    for (const s of sessions.values()) await s.release();
  }
  return { model: c.id, label: c.label, threads, iterations, evaluation: { set: c.evaluation, files: files.map((f) => f.slice(evalSet.length + 1)) }, variants: entries };
}

/** The table's columns, for this file's Markdown and bench/main.ts's report. */
export function latencyTable(results: readonly ModelLatency[]): { header: string[]; rows: string[][] } {
  const names = [...new Map(results.flatMap((r) => r.variants).filter((v) => v.variant !== 'fp32').map((v) => [v.variant, v.label]))];
  const cell = (v: VariantLatency | undefined): string => {
    if (!v) return '—';
    if (v.error !== undefined) return v.error;
    return `${v.ratio!.toFixed(2)}× · ${formatDecibels(v.psnr?.worst)}`;
  };
  return {
    header: ['model', 'fp32 median', ...names.map(([, label]) => `${label}: ÷ fp32 · PSNR`)],
    rows: results.map((r) => [r.label, `${r.variants.find((v) => v.variant === 'fp32')!.medianMs!.toFixed(2)} ms`,
      ...names.map(([name]) => cell(r.variants.find((v) => v.variant === name)))]),
  };
}

/** What the table's numbers are, for its title. */
export function latencyTitle(results: readonly ModelLatency[]): string {
  const photos = [...new Set(results.map((r) => `${r.evaluation.files.length} ${r.evaluation.set}`))].join(', ');
  const peer = results.some((r) => r.variants.some((v) => PEER_VARIANTS.some((p) => p.name === v.variant)));
  return `Built variants: latency ÷ fp32 on ONNX Runtime CPU (median of ${results[0]?.iterations ?? 0} interleaved runs, batch 1, ${results[0]?.threads || 'all'} intra-op threads, ` +
    `level "all"; fp16 emulated at "basic") · PSNR vs fp32, lowest over outputs, pooled over evaluation photos (${photos})` +
    (peer ? `; ORT quantize_static: QDQ, per-channel, ${PEER_METHOD} on the same calibration photos, its model run by onnxruntime-node` : '');
}

function render(results: readonly ModelLatency[]): string {
  const { header, rows } = latencyTable(results);
  const lines = [latencyTitle(results), '', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
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
    evalImages: flag('eval-images') ? Number(flag('eval-images')) : undefined,
    ...(argv.includes('--no-peer') ? { peer: false as const } : {}),
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
