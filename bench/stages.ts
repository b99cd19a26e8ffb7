/**
 * Peak RSS and wall time of each stage (calibrate, build, evaluate, report) on a
 * high-resolution model — the zoo's 1024×1024 table-line segmentation model — each stage in
 * its own child process, so each peak is that stage's alone. Also: calibrate wall time for 1, 2
 * and 4 shards of the same images run one after another, plus their merge.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../src/pipeline/build.js';
import { calibrate } from '../src/pipeline/calibrate.js';
import { evaluate } from '../src/pipeline/evaluate/index.js';
import { mergeHistograms } from '../src/pipeline/merge-histograms.js';
import { report } from '../src/pipeline/report.js';
import { gatherPhotos, ROOT, spawnMeasured, type Measured, type ModelCase, type SpawnLimits } from './calibrate.js';

const SELF = fileURLToPath(import.meta.url);

/** DATA.md: wired_table_rec 1.1.5's cycle_center_net_v2 (RGB fit within 1024, ImageNet mean/std in pixels). */
export const SEGMENTATION_1024: ModelCase = {
  id: 'table_1024', label: 'wired_table cycle_center_net_v2 1024x1024', file: 'zoo/wired_table_cycle_center_net_v2.onnx',
  preprocessing: { size: '1024x1024', resize: 'letterbox', padValue: 0, scale: 1, mean: '123.675,116.28,103.53', std: '58.395,57.12,57.375' },
  photos: ['text/calibration', 'text/evaluation', 'scenes/calibration', 'scenes/evaluation'],
};

export type Stage = 'calibrate' | 'build' | 'evaluate' | 'report';
export const STAGES: readonly Stage[] = ['calibrate', 'build', 'evaluate', 'report'];

interface StageJob {
  stage: Stage | 'shard' | 'merge';
  model: string;
  data: string;
  evalData?: string;
  run: string;
  threads: number;
  maxActivationMemory?: number;
  shard?: { index: number; count: number };
  shards?: string[];
  /** Preprocessing of `model` (default: the 1024 model's). */
  preprocessing?: ModelCase['preprocessing'];
}

export interface StageReport { stage: string; wallMs: number; maxRssKiB: number }

async function child(job: StageJob): Promise<Omit<StageReport, 'maxRssKiB'>> {
  const start = performance.now();
  const c = job.preprocessing ?? SEGMENTATION_1024.preprocessing;
  // The 1024 model: batches of one image (evaluation then holds one image's outputs per variant).
  const common = { ...c, model: job.model, data: job.data, threads: job.threads, maxActivationMemory: job.maxActivationMemory, ...(job.preprocessing ? {} : { batchSize: 1 }) };
  if (job.stage === 'calibrate') await calibrate({ ...common, out: job.run });
  else if (job.stage === 'shard') await calibrate({ ...common, out: job.run, shard: job.shard });
  else if (job.stage === 'merge') await mergeHistograms({ runs: job.shards!, out: job.run });
  else if (job.stage === 'build') await build({ run: job.run });
  else if (job.stage === 'evaluate') await evaluate({ run: job.run, data: job.evalData!, threads: job.threads, iterations: 3 });
  else await report({ run: job.run });
  return { stage: job.stage, wallMs: performance.now() - start };
}

const runStage = (job: StageJob, limits: SpawnLimits): Promise<Measured<StageReport>> =>
  spawnMeasured<StageReport>(process.execPath, [SELF, 'child', JSON.stringify(job)], limits);

export interface StagesResult { model: string; images: number; evalImages: number; stages: Record<string, Measured<StageReport>>;
  /** Bytes of the ONNX models each stage holds open (calibrate: the prepared model; build, evaluate: every model of the run; report: none). */
  modelBytes: Record<string, number>; shards: { count: number; calibrateMs: number; mergeMs: number; status: string }[] }

/** Every stage once, in order, on `images` calibration and `evalImages` evaluation photos. */
export async function benchStages(o: { work: string; threads: number; images: number; evalImages: number; maxActivationMemory?: number; limits: SpawnLimits; log: (l: string) => void }): Promise<StagesResult> {
  const model = join(ROOT, 'datasets', 'models', SEGMENTATION_1024.file);
  const data = await gatherPhotos(SEGMENTATION_1024, o.images, join(o.work, 'stages-calib'));
  const evalData = await gatherPhotos({ ...SEGMENTATION_1024, photos: [...SEGMENTATION_1024.photos].reverse() }, o.evalImages, join(o.work, 'stages-eval'));
  const run = join(o.work, 'stages-run');
  const stages: StagesResult['stages'] = {};
  const modelBytes: Record<string, number> = {};
  for (const stage of STAGES) {
    o.log(`${SEGMENTATION_1024.label}: ${stage}…`);
    stages[stage] = await runStage({ stage, model, data, evalData, run, threads: o.threads, maxActivationMemory: o.maxActivationMemory }, o.limits);
    modelBytes[stage] = stage === 'report' ? 0 : await onnxBytes(run);
    if (stages[stage]!.status !== 'ok') break;
  }
  await rm(run, { recursive: true, force: true });
  return { model: SEGMENTATION_1024.label, images: o.images, evalImages: o.evalImages, stages, modelBytes, shards: [] };
}

async function onnxBytes(run: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(run)) if (name.endsWith('.onnx')) total += (await stat(join(run, name))).size;
  return total;
}

/** Calibrate wall time for `counts` shards of the same images, shards one after another, then the merge. */
export async function benchShards(o: { work: string; threads: number; model: string; modelCase: ModelCase; images: number; counts: number[]; limits: SpawnLimits; log: (l: string) => void }): Promise<StagesResult['shards']> {
  const data = await gatherPhotos(o.modelCase, o.images, join(o.work, 'shards-photos'));
  const out: StagesResult['shards'] = [];
  for (const count of o.counts) {
    o.log(`${o.modelCase.label}: ${count} shard(s) of ${o.images} images…`);
    const dirs: string[] = [];
    let calibrateMs = 0;
    let status = 'ok';
    for (let index = 1; index <= count && status === 'ok'; index++) {
      const dir = join(o.work, `shards-${count}-${index}`);
      dirs.push(dir);
      const m = await spawnMeasured<StageReport>(process.execPath, [SELF, 'child', JSON.stringify({ stage: 'shard', model: o.model, data, run: dir, threads: o.threads, shard: { index, count }, preprocessing: o.modelCase.preprocessing })], o.limits);
      calibrateMs += m.processMs;
      status = m.status;
    }
    let mergeMs = 0;
    if (status === 'ok') {
      const m = await spawnMeasured<StageReport>(process.execPath, [SELF, 'child', JSON.stringify({ stage: 'merge', model: o.model, data, run: join(o.work, `shards-${count}-merged`), threads: o.threads, shards: dirs })], o.limits);
      mergeMs = m.processMs;
      status = m.status;
    }
    out.push({ count, calibrateMs, mergeMs, status });
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === SELF && process.argv[2] === 'child') {
  const job = JSON.parse(process.argv[3]!) as StageJob;
  await mkdir(join(job.run, '..'), { recursive: true });
  child(job).then((r) => {
    process.stdout.write(`${JSON.stringify({ ...r, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  }, (error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
