/**
 * `node dist/bench/tune.js [--models fr_detect,det] [--tune-images N]`: the accuracy autopilot
 * measured in one run per model — auto vs each single calibrator (target metric and PSNR on the
 * evaluation subset, TensorRT placement), the sensitivity estimate's wall time vs the number of
 * quantized nodes, evaluations spent vs one per node, and tune's result on the ort-cpu
 * placement (metric, latency ÷ fp32) vs the best single-calibrator int8.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate } from '../src/pipeline/calibrate.js';
import { build } from '../src/pipeline/build.js';
import { tune } from '../src/pipeline/tune/index.js';
import { defaultAccuracyTarget } from '../src/pipeline/tune/accuracy-target.js';
import { confirmAutoCalibration } from '../src/pipeline/tune/confirm-calibrator.js';
import { AccuracyProbe } from '../src/pipeline/tune/probe.js';
import { ROOT } from './calibrate.js';

const samples = (set: string, split: string) => join(ROOT, 'datasets', 'samples', set, split);
const models = (file: string) => join(ROOT, 'datasets', 'models', file);
const CASES = {
  fr_detect: { model: models('fr_detect.onnx'), data: samples('faces', 'calibration'), evalData: samples('people', 'evaluation'), resize: 'stretch', mean: 127, std: 128, scale: 1, scoreThreshold: 0.7, nmsIou: 0.4, target: 'psnr>=52' },
  det: { model: models('ch_PP-OCRv4_det_infer.onnx'), data: samples('text', 'calibration'), evalData: samples('text', 'evaluation'), size: '640x640', resize: 'stretch', batchSize: 1, target: 'psnr>=30' },
} as const;

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const ids = flag('models', 'fr_detect').split(',') as (keyof typeof CASES)[];
const tuneImages = Number(flag('tune-images', '3'));
const work = await mkdtemp(join(tmpdir(), 'int8cal-bench-tune-'));
const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : String(v));
try {
  for (const id of ids) {
    const c = CASES[id];
    const out = join(work, id);
    await calibrate({ ...c, out });
    const probe = await AccuracyProbe.create({ ...c, run: out, data: c.evalData, images: tuneImages });
    const confirmed = (await confirmAutoCalibration(out, probe, defaultAccuracyTarget(probe.task)))!.auto!.confirmed!;
    await probe.dispose();
    console.log(`\n${id}: calibrators on ${confirmed.images} evaluation images (TensorRT placement, ${confirmed.metric}${confirmed.metric === 'psnr' ? '' : ' / psnr'}), kept ${confirmed.kept}`);
    for (const s of confirmed.scores) console.log(`  ${s.calibrator.padEnd(20)} ${fmt(s.value)}${s.psnr !== undefined ? ` / ${fmt(s.psnr)} dB` : ''}`);
    const singles = confirmed.scores.filter((s) => !s.calibrator.startsWith('auto')).map((s) => Number(s.psnr ?? s.value));
    const autoScore = Number(confirmed.scores[0]!.psnr ?? confirmed.scores[0]!.value);
    console.log(`  per-tensor auto − best single: ${(autoScore - Math.max(...singles)).toFixed(2)} dB; kept − best single: ${(Math.max(autoScore, ...singles) - Math.max(...singles)).toFixed(2)} dB`);
    await build({ run: out, precisions: ['int8'], targets: ['ort-cpu'] });
    const t0 = performance.now();
    const result = await tune({ ...c, run: out, data: c.evalData, accuracyTarget: c.target, targets: ['ort-cpu'], tuneImages, tuneIterations: 10 });
    const seconds = (performance.now() - t0) / 1000;
    for (const p of result.placements) {
      const s = p.steps[p.chosen]!;
      console.log(`  tune ${c.target} (${p.placement}): ${p.reached ? 'reached' : 'NOT reached'} with ${s.floatNodes.length} of ${p.quantizedNodes} nodes float, ${JSON.stringify(s.metrics)}, latency ${fmt(s.latencyRatio)}× fp32 (all-int8 ${fmt(p.steps[0]!.latencyRatio)}×, ${JSON.stringify(p.steps[0]!.metrics)})`);
      console.log(`  evaluations ${p.evaluations} vs ${p.quantizedNodes} for "one node float" over all nodes; tune wall ${seconds.toFixed(1)} s`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
