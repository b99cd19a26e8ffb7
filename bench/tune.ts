/**
 * `node dist/bench/tune.js [--models fr_detect,cls,...] [--tune-images 2] [--images 8] [--target "psnr>=30"]`:
 * the accuracy autopilot on every sample and zoo model (few images: it is short), in one run per
 * model. Choosing images are the first --tune-images evaluation photos (at most half); judged
 * numbers are on the other, held-out photos. Per model: auto vs each single calibrator (worst-output
 * PSNR, TensorRT placement, held out), the sensitivity estimate's wall time vs quantized nodes,
 * evaluations spent vs "keep one node float" over all nodes, and tune (ort-cpu placement): final
 * metric and latency ÷ fp32 vs the all-int8 model of the best single calibrator.
 * Written to bench/results/tune.{json,md}.
 */
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { calibrate } from '../src/pipeline/calibrate.js';
import { build } from '../src/pipeline/build.js';
import { tune } from '../src/pipeline/tune/index.js';
import { defaultAccuracyTarget } from '../src/pipeline/tune/accuracy-target.js';
import { confirmAutoCalibration } from '../src/pipeline/tune/confirm-calibrator.js';
import { AccuracyProbe } from '../src/pipeline/tune/probe.js';
import { calibrationFromHistograms } from '../src/pipeline/calibration-output.js';
import { readHistogramFile } from '../src/run/histogram-file.js';
import { encodeModel, loadModel } from '../src/onnx/model-file.js';
import { buildInt8 } from '../src/onnx/qdq/index.js';
import { listImages } from '../datasets/images/index.js';
import { AUTO_CANDIDATES, candidateRule } from '../calibrators/auto.js';
import { loadManifest } from '../datasets/fetch/manifest.js';
import { writeFileAtomic } from '../src/core/atomic.js';
import type { CalibrationResult } from '../src/run/schema.js';
import { ROOT } from './calibrate.js';

const samples = (set: string) => join(ROOT, 'datasets', 'samples', set);
const SAMPLE_CASES: Record<string, Record<string, unknown>> = {
  fr_detect: { model: 'fr_detect.onnx', data: 'faces/calibration', evalData: 'people/evaluation', resize: 'stretch', mean: 127, std: 128, scale: 1, scoreThreshold: 0.7, nmsIou: 0.4 },
  det: { model: 'ch_PP-OCRv4_det_infer.onnx', data: 'text/calibration', evalData: 'text/evaluation', size: '640x640', resize: 'stretch' },
  rec: { model: 'ch_PP-OCRv4_rec_infer.onnx', data: 'text/calibration', evalData: 'text/evaluation', preset: 'symmetric', resize: 'stretch', size: '320x48' },
  cls: { model: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', data: 'text/calibration', evalData: 'text/evaluation', preset: 'symmetric', resize: 'stretch', size: '192x48' },
  fr_expression: { model: 'fr_expression.onnx', data: 'faces/calibration', evalData: 'lfw/evaluation', preset: 'unit' },
  fr_feature: { model: 'fr_feature.onnx', data: 'faces/calibration', evalData: 'lfw/evaluation', resize: 'stretch', mean: 127, std: 128, scale: 1 },
};

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const tuneImages = Number(flag('tune-images', '2'));
const images = Number(flag('images', '8'));
const target = flag('target', 'psnr>=30');

async function cases(): Promise<Map<string, Record<string, unknown>>> {
  const all = new Map(Object.entries(SAMPLE_CASES).map(([id, c]) => [id, { ...c, model: join(ROOT, 'datasets', 'models', c.model as string), data: samples(c.data as string), evalData: samples(c.evalData as string) }]));
  const manifest = await loadManifest(join(ROOT, 'datasets', 'manifest.json'));
  for (const e of manifest.files.filter((f) => f.set === 'zoo' && f.preprocessing)) {
    const set = e.preprocessing!.photos;
    all.set(basename(e.dest, '.onnx'), { model: join(ROOT, 'datasets', e.dest), data: samples(`${set}/calibration`), evalData: samples(`${set}/evaluation`), ...e.preprocessing!.options });
  }
  return all;
}

/** The held-out photos (all but the first `n` chosen-on ones) as a folder of links. */
async function heldOutFolder(evalData: string, n: number, dir: string, limit: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const f of (await listImages(evalData)).slice(n, n + limit)) await symlink(f, join(dir, basename(f)));
  return dir;
}

const worstPsnr = (m: { psnr?: number }) => m.psnr ?? NaN;

async function benchModel(id: string, c: Record<string, unknown>, work: string) {
  const out = join(work, id);
  await calibrate({ ...c, out, maxImages: images, batchSize: 1 } as Parameters<typeof calibrate>[0]);
  const total = (await listImages(c.evalData as string)).length;
  const chooseOn = Math.max(1, Math.min(tuneImages, Math.floor(total / 2)));
  const probe = await AccuracyProbe.create({ ...c, run: out, data: c.evalData as string, images: chooseOn });
  const confirmed = (await confirmAutoCalibration(out, probe, defaultAccuracyTarget(probe.task)))!.auto!.confirmed!;
  await probe.dispose();
  const held = await AccuracyProbe.create({ ...c, run: out, data: await heldOutFolder(c.evalData as string, chooseOn, join(work, `${id}-held`), images), images });
  const fp32 = await loadModel(join(out, 'model.fp32.onnx'));
  const set = await readHistogramFile(join(out, 'histograms.bin'));
  const calibration = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8')) as CalibrationResult;
  const score = async (cal: CalibrationResult, placement: 'tensorrt' | 'ort-cpu' = 'tensorrt') => {
    const ranges = new Map(Object.entries(cal.tensors).flatMap(([n, t]) => (t.min !== undefined && t.max !== undefined ? [[n, { min: t.min, max: t.max }] as const] : [])));
    const engine = await held.open(encodeModel(buildInt8(fp32, new Map(Object.entries(cal.tensors).map(([n, t]) => [n, t.amax])), { placement, ranges }).model));
    try { return worstPsnr(await held.score(engine)); } finally { await engine.dispose(); }
  };
  const singles: Record<string, number> = {};
  const singleCalibrations = new Map<string, CalibrationResult>();
  for (const name of AUTO_CANDIDATES) {
    singleCalibrations.set(name, await calibrationFromHistograms(set.tensors, candidateRule(name), set.mode, calibration.cacheHeader));
    singles[name] = await score(singleCalibrations.get(name)!);
  }
  const auto = await score(calibration);
  const bestName = AUTO_CANDIDATES.reduce((b, n) => (singles[n]! > singles[b]! ? n : b));
  const bestSingleOrt = await score(singleCalibrations.get(bestName)!, 'ort-cpu');
  await build({ run: out, precisions: ['int8'], targets: ['ort-cpu'] });
  const events: { stage: string; at: number }[] = [];
  const t0 = performance.now();
  const result = await tune({ ...c, run: out, data: c.evalData as string, accuracyTarget: target, targets: ['ort-cpu'], tuneImages: chooseOn, tuneIterations: 10,
    onProgress: (e) => events.push({ stage: e.stage, at: performance.now() }) } as Parameters<typeof tune>[0]);
  const tuneSeconds = (performance.now() - t0) / 1000;
  const sens = events.filter((e) => e.stage.endsWith('sensitivity'));
  const p = result.placements[0]!;
  const chosen = p.steps[p.chosen]!;
  const tunedEngine = await held.open(join(out, p.file));
  const tunedHeld = worstPsnr(await held.score(tunedEngine));
  await tunedEngine.dispose();
  await held.dispose();
  return {
    model: id, chosenOn: chooseOn, judgedOn: held.imageCount, kept: confirmed.kept, auto, singles,
    quantizedNodes: p.quantizedNodes, sensitivitySeconds: sens.length ? (sens.at(-1)!.at - sens[0]!.at) * sens.length / Math.max(1, sens.length - 1) / 1000 : 0,
    estimateRuns: p.estimateRuns, evaluations: p.evaluations, reached: p.reached, floatNodes: chosen.floatNodes.length, tuneSeconds,
    start: p.steps[0]!.metrics.psnr, final: chosen.metrics.psnr, tunedHeld, latency: chosen.latencyRatio, int8Latency: p.steps[0]!.latencyRatio,
    bestSingle: Math.max(...Object.values(singles)), bestName, bestSingleOrt, worseningMoves: p.worseningMoves,
  };
}

type Row = Awaited<ReturnType<typeof benchModel>>;
const f = (v: unknown, d = 2) => (typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(d) : v > 0 ? '∞' : '−∞') : v === 'inf' ? '∞' : String(v ?? '–'));

function tables(rows: readonly Row[]): string {
  const calib = [['model', 'chosen/judged', 'auto (kept)', ...AUTO_CANDIDATES, 'auto − best single'],
    ...rows.map((r) => [r.model, `${r.chosenOn}/${r.judgedOn}`, `${f(r.auto)} (${r.kept})`, ...AUTO_CANDIDATES.map((n) => f(r.singles[n])), f(r.auto - r.bestSingle)])];
  const tuneRows = [['model', 'quantized nodes', 'sensitivity s', 'estimate runs', 'evaluations', `"one node float" evaluations`, 'float nodes', `${target} reached`,
    'all-int8 → tuned (tune images)', 'tuned (held out)', 'best single all-int8 ort-cpu (held out)', 'latency ÷ fp32 tuned / all-int8', 'tune s'],
  ...rows.map((r) => [r.model, String(r.quantizedNodes), f(r.sensitivitySeconds, 1), String(r.estimateRuns), String(r.evaluations), String(r.quantizedNodes), String(r.floatNodes),
    r.reached ? 'yes' : 'no', `${f(r.start)} → ${f(r.final)}`, f(r.tunedHeld), `${f(r.bestSingleOrt)} (${r.bestName})`, `${f(r.latency)} / ${f(r.int8Latency)}`, f(r.tuneSeconds, 0)])];
  const md = (t: string[][]) => [t[0]!, t[0]!.map(() => '---'), ...t.slice(1)].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  return `Calibrators: worst-output PSNR (dB) on the held-out photos, TensorRT placement; auto kept = the calibrator run's check chose on the chosen-on photos.\n\n${md(calib)}\n\n` +
    `Tune, ort-cpu placement, target ${target}; estimate runs are one-image runs (2 per node + 2), evaluations are on the chosen-on photos; latency is ORT CPU p50 ÷ fp32 (10 interleaved runs).\n\n${md(tuneRows)}\n`;
}

const ids = flag('models', 'fr_detect,cls,fr_feature').split(',');
const all = await cases();
const work = await mkdtemp(join(tmpdir(), 'int8cal-bench-tune-'));
const rows: Row[] = [];
try {
  for (const id of ids) {
    process.stderr.write(`bench tune: ${id}\n`);
    try {
      rows.push(await benchModel(id, all.get(id)!, work));
    } catch (error) {
      process.stderr.write(`bench tune: ${id} failed: ${(error as Error).message}\n`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
// Rows of models not run this time are kept from the last results (same target), so models can be benched one at a time.
const previous = await readFile(join(ROOT, 'bench', 'results', 'tune.json'), 'utf8').then((t) => JSON.parse(t) as { target: string; rows: Row[] }, () => undefined);
if (previous?.target === target) rows.unshift(...previous.rows.filter((r) => !rows.some((x) => x.model === r.model)));
const text = tables(rows);
process.stdout.write(text);
await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
await writeFileAtomic(join(ROOT, 'bench', 'results', 'tune.json'), `${JSON.stringify({ createdAt: new Date().toISOString(), tuneImages, images, target, rows }, null, 2)}\n`);
await writeFileAtomic(join(ROOT, 'bench', 'results', 'tune.md'), text);
