/**
 * Calibration benchmark pieces: the sample models and their preprocessing, photo folders of a
 * given size, and child processes (so each one's peak RSS is its own) that time
 * - `baseline`: plain fp32 inference of the ORIGINAL model (ORT level `all`) over the images,
 *   same reader, batch size and threads as calibration;
 * - `calibrate`: the library's `calibrate()` end to end (prepare, every activation, histograms,
 *   scales, files written), with collect.ts's own timings of its loop;
 * - `profile`: `calibrate()` again with collect.ts's `onRun` hook running the plain model on the
 *   same images after every run (histogramming then never overlaps, so each part is timed
 *   alone): waiting for decoded images, the run that returns every activation, native
 *   histogramming, and the plain run.
 * Each child prints one JSON line and its own peak RSS (`process.resourceUsage().maxRSS`).
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBatches, resolvePreprocessing, type Preprocessing, type PreprocessingOptions } from '../datasets/images/index.js';
import { OnnxRuntimeEngine } from '../src/engines/onnxruntime.js';
import type { Feeds } from '../src/engines/engine.js';
import { graphInputs } from '../src/onnx/graph.js';
import { loadModel } from '../src/onnx/model-file.js';
import { calibrate } from '../src/pipeline/calibrate.js';
import { emptyTiming, type CollectTiming } from '../src/pipeline/collect.js';
import { selectImageInput } from '../src/pipeline/image-input.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLES = join(ROOT, 'datasets', 'samples');
const SELF = fileURLToPath(import.meta.url);

export interface ModelCase {
  id: string;
  label: string;
  file: string;
  preprocessing: PreprocessingOptions;
  /** Photo folders (under datasets/samples) in the order they are drawn from. */
  photos: string[];
}

const ALL_SETS = ['text/calibration', 'text/evaluation', 'scenes/calibration', 'scenes/evaluation', 'people/calibration',
  'people/evaluation', 'faces/calibration', 'lfw/evaluation'];
const first = (...sets: string[]): string[] => [...sets, ...ALL_SETS.filter((s) => !sets.includes(s))];

/** The sample models and the preprocessing each was trained with (datasets/README.md). */
export function modelCases(detSize: string): ModelCase[] {
  return [
    { id: 'det', label: `PaddleOCR det ${detSize}`, file: 'ch_PP-OCRv4_det_infer.onnx', preprocessing: { preset: 'imagenet', resize: 'stretch', size: detSize }, photos: first('text/calibration', 'text/evaluation', 'scenes/calibration') },
    { id: 'fr_detect', label: 'fr_detect 320x240', file: 'fr_detect.onnx', preprocessing: { resize: 'stretch', mean: 127, std: 128, scale: 1 }, photos: first('people/calibration', 'people/evaluation', 'faces/calibration') },
    { id: 'fr_expression', label: 'fr_expression 224x224', file: 'fr_expression.onnx', preprocessing: { preset: 'unit' }, photos: first('faces/calibration', 'lfw/evaluation') },
  ];
}

export const modelPath = (c: ModelCase): string => join(ROOT, 'datasets', 'models', c.file);

/** A folder of `count` symlinks to sample photos, in the case's order, cycling when the pool runs out. */
export async function gatherPhotos(c: ModelCase, count: number, dir: string): Promise<string> {
  const pool: string[] = [];
  for (const set of c.photos) {
    const folder = join(SAMPLES, set);
    const names = await readdir(folder).catch(() => [] as string[]);
    pool.push(...names.filter((n) => /\.(jpe?g|png|webp)$/i.test(n)).sort().map((n) => join(folder, n)));
  }
  if (pool.length === 0) throw new Error(`no sample photos under ${SAMPLES}: run npm run datasets`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const photo = pool[i % pool.length]!;
    await symlink(photo, join(dir, `${String(i).padStart(4, '0')}-${basename(photo)}`));
  }
  return dir;
}

/** The preprocessing spec and batch size calibration will use for this model. */
export async function resolveCase(c: ModelCase, batchSize: number): Promise<{ input: string; spec: Preprocessing; batchSize: number; fixedBatch: boolean }> {
  const model = await loadModel(modelPath(c));
  const input = selectImageInput(graphInputs(model.graph!), undefined, modelPath(c));
  const batchDim = input.dims[0];
  const fixedBatch = typeof batchDim === 'number';
  return { input: input.name, spec: resolvePreprocessing(input, c.preprocessing), batchSize: fixedBatch ? batchDim : batchSize, fixedBatch };
}

// ---------------------------------------------------------------- child processes

export interface Measured<T> {
  /** The child's JSON report, or undefined when it failed. */
  report?: T;
  /** Peak RSS in bytes: the child's own report, else the last VmHWM seen. */
  peakRss?: number;
  /** Wall time of the whole process, ms. */
  processMs: number;
  status: 'ok' | 'failed' | 'timeout' | 'memory-limit';
  error?: string;
}

export interface SpawnLimits {
  timeoutMs?: number;
  /** Kill the child when its RSS passes this (protects a shared machine). */
  maxRssBytes?: number;
  onLine?: (line: string) => void;
}

/**
 * Runs a command whose last stdout line is a JSON report with `maxRssKiB`; watches its peak RSS
 * (/proc VmHWM) every 200 ms to enforce `maxRssBytes`, and kills it on timeout.
 */
export function spawnMeasured<T extends { maxRssKiB?: number }>(command: string, args: string[], limits: SpawnLimits = {}): Promise<Measured<T>> {
  const start = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed: Measured<T>['status'] | undefined;
  let hwm = 0;
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 1e6) stderr = stderr.slice(-5e5);
    for (const line of d.toString().split('\n')) if (line.trim()) limits.onLine?.(line);
  });
  const kill = (why: Measured<T>['status']): void => {
    if (killed || child.exitCode !== null) return;
    killed = why;
    child.kill('SIGKILL');
  };
  const timer = limits.timeoutMs ? setTimeout(() => kill('timeout'), limits.timeoutMs) : undefined;
  const watch = setInterval(() => {
    void readFile(`/proc/${child.pid}/status`, 'utf8').then((s) => {
      const kib = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
      hwm = Math.max(hwm, kib * 1024);
      if (limits.maxRssBytes && hwm > limits.maxRssBytes) kill('memory-limit');
    }, () => undefined);
  }, 200);
  return new Promise((done) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(watch);
      const processMs = performance.now() - start;
      const last = stdout.trim().split('\n').pop() ?? '';
      let report: T | undefined;
      try { report = JSON.parse(last) as T; } catch { report = undefined; }
      const peakRss = report?.maxRssKiB ? report.maxRssKiB * 1024 : hwm || undefined;
      if (killed) { done({ status: killed, peakRss: hwm || undefined, processMs }); return; }
      if (code !== 0 || !report) {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${code}`;
        done({ status: 'failed', report, peakRss, processMs, error: tail });
        return;
      }
      done({ status: 'ok', report, peakRss, processMs });
    });
  });
}

export interface BaselineReport { sessionMs: number; inferMs: number; totalMs: number; images: number; batches: number; maxRssKiB: number }
export interface CalibrateReport {
  wallMs: number; images: number; passes: number; chunk: number; tensors: number; maxRssKiB: number;
  /** From the call to the first progress event: load, prepare, list activations, the probe run, the first batch (or chunk). */
  untilFirstBatchMs?: number;
  /** From the last batch's progress event to the return: thresholds, histograms.bin, model and cache written. */
  afterLastBatchMs?: number;
  /** collect.ts's own timings. */
  timing: CollectTiming;
}
export interface ProfileReport extends CalibrateReport {
  /** The plain original model on each run's images, timed between the runs. */
  plainRunMs: number;
  /** Images the plain model ran (those after the probe). */
  plainImages: number;
}

export interface ChildJob {
  mode: 'baseline' | 'calibrate' | 'profile';
  caseId: string;
  detSize: string;
  data: string;
  threads: number;
  batchSize: number;
  maxActivationMemory?: number;
  out?: string;
  shard?: { index: number; count: number };
}

export function runChild<T extends { maxRssKiB?: number }>(job: ChildJob, limits: SpawnLimits = {}): Promise<Measured<T>> {
  return spawnMeasured<T>(process.execPath, [SELF, 'child', JSON.stringify(job)], limits);
}

async function child(job: ChildJob): Promise<object> {
  const c = modelCases(job.detSize).find((m) => m.id === job.caseId)!;
  if (job.mode === 'calibrate') return timedCalibrate(c, job);
  const { input, spec, batchSize, fixedBatch } = await resolveCase(c, job.batchSize);
  if (job.mode === 'profile') {
    const plain = await OnnxRuntimeEngine.create(modelPath(c), { threads: job.threads, rewrites: 'full' });
    const r = { plainRunMs: 0, plainImages: 0 };
    try {
      const report = await timedCalibrate(c, job, async (feeds) => {
        const t = performance.now();
        await plain.run(feeds);
        r.plainRunMs += performance.now() - t;
        r.plainImages += feeds[input]!.dims[0]!;
      });
      return { ...report, ...r };
    } finally {
      await plain.dispose();
    }
  }
  const files = (await readdir(job.data)).sort().map((n) => join(job.data, n));
  const start = performance.now();
  const engine = await OnnxRuntimeEngine.create(modelPath(c), { threads: job.threads, rewrites: 'full' });
  const sessionMs = performance.now() - start;
  let inferMs = 0;
  let images = 0;
  let batches = 0;
  try {
    for await (const batch of readBatches(files, spec, { batchSize })) {
      if (fixedBatch && batch.dims[0] !== batchSize) break;
      const t = performance.now();
      await engine.run({ [input]: { type: 'float32', data: batch.data, dims: batch.dims } });
      inferMs += performance.now() - t;
      images += batch.dims[0]!;
      batches++;
    }
  } finally {
    await engine.dispose();
  }
  return { sessionMs, inferMs, totalMs: performance.now() - start, images, batches };
}

/** The library's calibrate(), its wall time split by progress events and collect.ts's timings. */
async function timedCalibrate(c: ModelCase, job: ChildJob, onRun?: (feeds: Feeds) => Promise<void>): Promise<CalibrateReport> {
  const start = performance.now();
  let firstBatchMs: number | undefined;
  let lastBatchMs = 0;
  const timing = emptyTiming();
  const summary = await calibrate({
    ...c.preprocessing, model: modelPath(c), data: job.data, out: job.out ?? join(job.data, '..', `${c.id}-${job.mode}-run`), threads: job.threads,
    batchSize: job.batchSize, maxActivationMemory: job.maxActivationMemory, timing, onRun,
    ...(job.shard ? { shard: job.shard } : {}),
    onProgress: () => {
      lastBatchMs = performance.now() - start;
      firstBatchMs ??= lastBatchMs;
    },
  });
  const wallMs = performance.now() - start;
  return {
    wallMs, images: summary.images, passes: summary.passes, chunk: summary.chunk, tensors: Object.keys(summary.calibration.tensors).length,
    untilFirstBatchMs: firstBatchMs, afterLastBatchMs: wallMs - lastBatchMs, timing, maxRssKiB: 0,
  };
}

export const defaultThreads = (): number => availableParallelism();

if (process.argv[1] && resolve(process.argv[1]) === SELF && process.argv[2] === 'child') {
  const job = JSON.parse(process.argv[3]!) as ChildJob;
  child(job).then((report) => {
    process.stdout.write(`${JSON.stringify({ ...report, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  }, (error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
