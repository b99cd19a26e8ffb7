/**
 * `node dist/bench/tune.js [--models fr_detect,cls,...] [--tune-images 8] [--images 24] [--target "psnr>=30"] [--no-tune] [--cross-fit]`:
 * the accuracy autopilot on every sample and zoo model, in one run per model (--images caps the
 * calibration and the evaluation photos). Choosing images are the first --tune-images evaluation
 * photos (at most half); judged numbers are on the other, held-out photos. Per model: auto vs each
 * single calibrator (worst-output PSNR, TensorRT placement, held out); the same averaged over every
 * choose/judge split of the photos (bench/choice-splits.ts: one split's numbers are mostly which
 * photos landed where), with --cross-fit also the choice made on the calibration images
 * (src/pipeline/tune/cross-fit.ts) and run's `--calibrator-check cross-fit`; then (unless --no-tune) the sensitivity estimate's wall time vs quantized
 * nodes, evaluations spent vs "keep one node float" over all nodes, and tune (ort-cpu placement):
 * final metric on the tune and the held-out photos, latency ÷ fp32, vs the all-int8 model.
 * With --tune-splits K (and --judge N, default 24), tune is also repeated on K splits of the
 * evaluation photos and judged on up to N photos it never saw (the other evaluation photos, then
 * the scenes photos; bench/tune-splits.ts): mean and worst gain of the tuned model over all-int8.
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
import { crossFit } from '../src/pipeline/tune/cross-fit.js';
import { splitSummary } from './choice-splits.js';
import { tuneSplits } from './tune-splits.js';
import { calibrationFromHistograms } from '../src/pipeline/calibration-output.js';
import { readHistogramFile } from '../src/run/histogram-file.js';
import { encodeModel, loadModel } from '../src/onnx/model-file.js';
import { buildInt8, placementOf } from '../src/onnx/qdq/index.js';
import { listImages } from '../datasets/images/index.js';
import { Auto, AUTO_CANDIDATES, candidateRule } from '../calibrators/auto.js';
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
const tuneImages = Number(flag('tune-images', '8'));
const images = Number(flag('images', '24'));
const target = flag('target', 'psnr>=30');
const skipTune = process.argv.includes('--no-tune');
const withCrossFit = process.argv.includes('--cross-fit');
const splitCount = Number(flag('tune-splits', '0'));
const judgeCount = Number(flag('judge', '24'));

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

/** Each candidate's worst-output PSNR on each of the first `images` evaluation photos (the split analysis). */
async function perPhoto(c: Record<string, unknown>, out: string, fp32: Awaited<ReturnType<typeof loadModel>>, candidates: ReadonlyMap<string, CalibrationResult>): Promise<Map<string, number[]>> {
  const probe = await AccuracyProbe.create({ ...c, run: out, data: c.evalData as string, images });
  const photos = new Map<string, number[]>();
  try {
    for (const [name, cal] of candidates) {
      const engine = await probe.open(encodeModel(buildInt8(fp32, new Map(Object.entries(cal.tensors).map(([n, t]) => [n, t.amax])), { placement: 'tensorrt' }).model), placementOf('tensorrt').qdqOnOrt);
      try { photos.set(name, (await probe.scoreImages(engine)).psnrPerImage); } finally { await engine.dispose(); }
    }
  } finally {
    await probe.dispose();
  }
  return photos;
}

async function benchModel(id: string, c: Record<string, unknown>, work: string) {
  const out = join(work, id);
  await calibrate({ ...c, out, maxImages: images, batchSize: 1 } as Parameters<typeof calibrate>[0]);
  const total = (await listImages(c.evalData as string)).length;
  const chooseOn = Math.max(1, Math.min(tuneImages, Math.floor(total / 2)));
  const probe = await AccuracyProbe.create({ ...c, run: out, data: c.evalData as string, images: chooseOn });
  const cross = withCrossFit ? await crossFit({ ...c, maxImages: images, batchSize: 1 } as Parameters<typeof crossFit>[0], out) : undefined;
  const confirmed = (await confirmAutoCalibration(out, probe, defaultAccuracyTarget(probe.task), undefined, cross && { ...c, maxImages: images, batchSize: 1 } as Parameters<typeof crossFit>[0]))!.auto!.confirmed!;
  await probe.dispose();
  const held = await AccuracyProbe.create({ ...c, run: out, data: await heldOutFolder(c.evalData as string, chooseOn, join(work, `${id}-held`), images), images });
  const fp32 = await loadModel(join(out, 'model.fp32.onnx'));
  const set = await readHistogramFile(join(out, 'histograms.bin'));
  const calibration = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8')) as CalibrationResult;
  const score = async (cal: CalibrationResult, placement: 'tensorrt' | 'ort-cpu' = 'tensorrt') => {
    const ranges = new Map(Object.entries(cal.tensors).flatMap(([n, t]) => (t.min !== undefined && t.max !== undefined ? [[n, { min: t.min, max: t.max }] as const] : [])));
    const engine = await held.open(encodeModel(buildInt8(fp32, new Map(Object.entries(cal.tensors).map(([n, t]) => [n, t.amax])), { placement, ranges }).model), placementOf(placement).qdqOnOrt);
    try { return worstPsnr(await held.score(engine)); } finally { await engine.dispose(); }
  };
  const singles: Record<string, number> = {};
  const candidates = new Map<string, CalibrationResult>([['auto (per tensor)', await calibrationFromHistograms(set.tensors, new Auto(), set.mode, calibration.cacheHeader)]]);
  for (const name of AUTO_CANDIDATES) {
    candidates.set(name, await calibrationFromHistograms(set.tensors, candidateRule(name), set.mode, calibration.cacheHeader));
    singles[name] = await score(candidates.get(name)!);
  }
  const auto = await score(calibration);
  const bestName = AUTO_CANDIDATES.reduce((b, n) => (singles[n]! > singles[b]! ? n : b));
  const split = splitSummary(await perPhoto(c, out, fp32, candidates), Math.min(chooseOn, Math.floor(Math.min(total, images) / 2)),
    cross && new Map(cross.scores.map((s) => [s.calibrator, s.psnrPerImage])));
  const row = { model: id, chosenOn: chooseOn, judgedOn: held.imageCount, kept: confirmed.kept, runnerUp: confirmed.runnerUp, auto, singles, bestSingle: Math.max(...Object.values(singles)), bestName, split };
  if (skipTune) {
    await held.dispose();
    return row;
  }
  const bestSingleOrt = await score(candidates.get(bestName)!, 'ort-cpu');
  const tuned = await tunePart(c, out, chooseOn, held);
  const splitTunes = splitCount > 0 ? await tuneSplits(c, out, join(work, `${id}-splits`), { k: chooseOn, count: splitCount, judge: judgeCount, target, extra: [samples('scenes/evaluation'), samples('scenes/calibration')] }) : undefined;
  return { ...row, bestSingleOrt, ...tuned, ...(splitTunes ? { splitTunes } : {}) };
}

/** tune (ort-cpu placement) on the chosen-on photos, its tuned model scored on the held-out ones. */
async function tunePart(c: Record<string, unknown>, out: string, chooseOn: number, held: AccuracyProbe) {
  await build({ run: out, precisions: ['int8'], targets: ['ort-cpu'] });
  const int8Held = await held.open(join(out, 'model.int8-ort.onnx'), placementOf('ort-cpu').qdqOnOrt);
  const allInt8Held = worstPsnr(await held.score(int8Held));
  await int8Held.dispose();
  const events: { stage: string; at: number }[] = [];
  const t0 = performance.now();
  const result = await tune({ ...c, run: out, data: c.evalData as string, accuracyTarget: target, targets: ['ort-cpu'], tuneImages: chooseOn, tuneIterations: 10,
    onProgress: (e) => events.push({ stage: e.stage, at: performance.now() }) } as Parameters<typeof tune>[0]);
  const tuneSeconds = (performance.now() - t0) / 1000;
  const sens = events.filter((e) => e.stage.endsWith('sensitivity'));
  const p = result.placements[0]!;
  const chosen = p.steps[p.chosen]!;
  const tunedEngine = await held.open(join(out, p.file), placementOf(p.placement).qdqOnOrt);
  const tunedHeld = worstPsnr(await held.score(tunedEngine));
  await tunedEngine.dispose();
  await held.dispose();
  return {
    quantizedNodes: p.quantizedNodes, sensitivitySeconds: sens.length ? (sens.at(-1)!.at - sens[0]!.at) * sens.length / Math.max(1, sens.length - 1) / 1000 : 0,
    estimateRuns: p.estimateRuns, evaluations: p.evaluations, reached: p.reached, floatNodes: chosen.floatNodes.length, tuneSeconds,
    start: p.steps[0]!.metrics.psnr, final: chosen.metrics.psnr, tunedHeld, allInt8Held, latency: chosen.latencyRatio, int8Latency: p.steps[0]!.latencyRatio,
    worseningMoves: p.worseningMoves,
  };
}

type Row = Awaited<ReturnType<typeof benchModel>> & Partial<Awaited<ReturnType<typeof tunePart>> & { bestSingleOrt: number; splitTunes: Awaited<ReturnType<typeof tuneSplits>> }>;
const f = (v: unknown, d = 2) => (typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(d) : v > 0 ? '∞' : '−∞') : v === 'inf' ? '∞' : String(v ?? '–'));
const md = (t: string[][]) => [t[0]!, t[0]!.map(() => '---'), ...t.slice(1)].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

function splitTable(rows: readonly Row[]): string {
  const cross = rows.some((r) => r.split.regret.crossFit !== undefined);
  const t = [['model', 'photos (choose k)', 'splits', 'check on k photos', 'per-tensor only', ...(cross ? ['cross-fit (calibration images)', 'cross-fit + check', 'tied on k photos → cross-fit + check (--calibrator-check cross-fit)'] : []), 'floor: best fixed in hindsight', 'best single on judged photos (splits)'],
    ...rows.map((r) => [r.model, `${r.split.photos} (${r.split.chooseOn})`, String(r.split.splits), f(r.split.regret.check), f(r.split.regret.perTensor),
      ...(cross ? [f(r.split.regret.crossFit), f(r.split.regret.crossFitAndCheck), f(r.split.regret.tiedThenCrossFit)] : []), `${f(r.split.floor.regret)} (${r.split.floor.calibrator})`,
      Object.entries(r.split.bestOnJudged).sort((a, b) => b[1] - a[1]).map(([n, k]) => `${n} ${k}`).join(', ')])];
  return 'Split-averaged (every way of choosing k of the evaluation photos, or 200 drawn; the rest judge): mean of (choice − best single calibrator on the judged photos), ' +
    `pooled worst-output PSNR dB, TensorRT placement; the check picks by pooled PSNR on the k photos.\n\n${md(t)}\n`;
}

function tables(rows: readonly Row[]): string {
  const calib = [['model', 'chosen/judged', 'auto (kept)', 'runner-up (wins)', ...AUTO_CANDIDATES, 'auto − best single'],
    ...rows.map((r) => [r.model, `${r.chosenOn}/${r.judgedOn}`, `${f(r.auto)} (${r.kept})`, r.runnerUp ? `${r.runnerUp.calibrator} (${r.runnerUp.psnrWins}/${r.runnerUp.images})` : '–',
      ...AUTO_CANDIDATES.map((n) => f(r.singles[n])), f(r.auto - r.bestSingle)])];
  const tuned = rows.filter((r) => r.quantizedNodes !== undefined);
  const tuneRows = [['model', 'quantized nodes', 'sensitivity s', 'estimate runs', 'evaluations', `"one node float" evaluations`, 'float nodes', `${target} reached`,
    'all-int8 → tuned (tune images)', 'all-int8 → tuned (held out)', 'best single all-int8 ort-cpu (held out)', 'latency ÷ fp32 tuned / all-int8', 'tune s'],
  ...tuned.map((r) => [r.model, String(r.quantizedNodes), f(r.sensitivitySeconds, 1), String(r.estimateRuns), String(r.evaluations), String(r.quantizedNodes), String(r.floatNodes),
    r.reached ? 'yes' : 'no', `${f(r.start)} → ${f(r.final)}`, `${f(r.allInt8Held)} → ${f(r.tunedHeld)}`, `${f(r.bestSingleOrt)} (${r.bestName})`, `${f(r.latency)} / ${f(r.int8Latency)}`, f(r.tuneSeconds, 0)])];
  return `Calibrators: worst-output PSNR (dB) on the held-out photos, TensorRT placement; auto kept = the calibrator run's check chose on the chosen-on photos.\n\n${md(calib)}\n\n` +
    `${splitTable(rows)}\n` +
    (tuned.length ? `Tune, ort-cpu placement, target ${target}; estimate runs are batch runs on the ranking images (the check set: all int8 but this node, one per node + 1; the fallback's only this node int8, one per node, when it ran), evaluations are on the chosen-on photos; latency is ORT CPU p50 ÷ fp32 (10 interleaved runs).\n\n${md(tuneRows)}\n` : '') +
    splitTuneTable(rows);
}

function splitTuneTable(rows: readonly Row[]): string {
  const withSplits = rows.filter((r) => r.splitTunes);
  if (!withSplits.length) return '';
  const t = [['model', 'splits (tune/judged photos)', 'reached', 'float nodes', 'evaluations', 'tune photos: all-int8 → tuned (mean)', 'judged: all-int8 → tuned (mean)', 'mean gain', 'worst gain', 'splits worse by > 0.1 dB', 'per split gain'],
    ...withSplits.map((r) => {
      const s = r.splitTunes!;
      const mean = (f: (x: (typeof s.splits)[number]) => number) => s.splits.reduce((a, x) => a + f(x), 0) / s.splits.length;
      return [r.model, `${s.splits.length} (${s.splits[0]!.tuneOn}/${s.splits[0]!.judgedOn})`, `${s.splits.filter((x) => x.reached).length}/${s.splits.length}`, f(mean((x) => x.floatNodes), 1),
        f(mean((x) => x.evaluations), 1), `${f(mean((x) => x.tuneStart))} → ${f(mean((x) => x.tuneFinal))}`, `${f(mean((x) => x.allInt8))} → ${f(mean((x) => x.tuned))}`,
        f(s.meanGain), f(s.worstGain), String(s.worse), s.splits.map((x) => f(x.tuned - x.allInt8, 1)).join(' ')];
    })];
  return `\nTune on ${withSplits[0]!.splitTunes!.splits.length} splits of the evaluation photos (bench/tune-splits.ts), ort-cpu placement, target ${target}: pooled worst-output PSNR (dB) on photos tune never saw (the other evaluation photos, then scenes photos).\n\n${md(t)}\n`;
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
if (previous?.target === target) rows.unshift(...previous.rows.filter((r) => r.split && !rows.some((x) => x.model === r.model)));
const text = tables(rows);
process.stdout.write(text);
await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
await writeFileAtomic(join(ROOT, 'bench', 'results', 'tune.json'), `${JSON.stringify({ createdAt: new Date().toISOString(), tuneImages, images, target, rows }, null, 2)}\n`);
await writeFileAtomic(join(ROOT, 'bench', 'results', 'tune.md'), text);
