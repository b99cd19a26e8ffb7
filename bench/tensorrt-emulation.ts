/**
 * `node dist/bench/tensorrt-emulation.js RUN IMAGES [MAX] [--save FILE | --load FILE]`: how closely ONNX Runtime's CPU run of
 * model.int8.onnx predicts the TensorRT engine built from it (RUN/engine.int8-qdq.plan), over the
 * same images. Per output, pooled PSNR (peak = the reference's max |x|) of: the emulation vs fp32
 * at each graph-rewrite level (`none` runs the Q/DQ graph exactly as written; evaluate uses
 * `full`), the engine vs fp32, and the engine vs the emulation. Without the plan (or a GPU) only
 * the emulation rows are printed: how much ONNX Runtime's own exact-in-fp32 rewrites move the
 * figure the 0.1 dB band compares against. Besides the pooled PSNR, the mean of the per-image
 * PSNRs (dB): pooling is dominated by the worst image, so it converges slowly with more images.
 * --save FILE records the engine's outputs (bench/engine-recording.ts); --load FILE compares a
 * recording made on a GPU machine instead of running the engine, so any machine can judge a new
 * emulation against the real engine.
 */
import { existsSync } from 'node:fs';
import { readRecording, RecordingWriter } from './engine-recording.js';
import { listImages } from '../datasets/images/index.js';
import { createEngine } from '../src/engines/registry.js';
import { GRAPH_REWRITES, type Engine, type HostTensor } from '../src/engines/engine.js';
import type { NumericData } from '../src/metrics/data.js';
import { PsnrAccumulator } from '../src/metrics/psnr.js';
import { ImageBatchSource } from '../src/pipeline/image-source.js';
import { readRunJson } from '../src/run/files.js';
import { checkRunManifest } from '../src/run/check.js';
import { runPath } from '../src/run/layout.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const save = option('save');
const load = option('load');
const [runDir, images, max] = args;
if (!runDir || !images || (save && load)) {
  console.error('usage: tensorrt-emulation.js RUN IMAGES [MAX] [--save FILE | --load FILE]');
  process.exit(2);
}
const run = await readRunJson(runDir, 'run', checkRunManifest, 'calibrate');
if (!run.preprocessing) throw new Error(`${runDir} was calibrated from tensor files: this bench feeds images`);
const files = (await listImages(images)).slice(0, max ? Number(max) : undefined);

const engines = new Map<string, Engine>([['fp32', await createEngine('onnxruntime', runPath(runDir, 'fp32'), { rewrites: 'full' })]]);
// As evaluate runs the TensorRT placement (Q/DQ as written, float biases), at each rewrite level;
// and with ONNX Runtime's own QDQ transformers, which round the biases to int32.
for (const r of GRAPH_REWRITES) engines.set(`emulation (${r})`, await createEngine('onnxruntime', runPath(runDir, 'model.int8.onnx'), { rewrites: r, qdq: 'as-written' }));
engines.set('emulation (full, int32 biases)', await createEngine('onnxruntime', runPath(runDir, 'model.int8.onnx'), { rewrites: 'full', qdq: 'kernels' }));
const plan = runPath(runDir, 'engineInt8Qdq');
if (!load && existsSync(plan)) engines.set('engine', await createEngine('tensorrt', plan));
if (save && !engines.has('engine')) throw new Error(`--save needs ${plan} and a GPU`);
const recording = load ? await readRecording(load, files) : undefined;
const hasEngine = engines.has('engine') || recording !== undefined;
const pairs: [string, string][] = [...engines.keys(), ...(recording ? ['engine'] : [])].filter((k) => k !== 'fp32').map((k) => ['fp32', k]);
pairs.push(['emulation (full)', 'emulation (none)']);
if (hasEngine) pairs.push(['emulation (full)', 'engine'], ['emulation (none)', 'engine']);

const outputs = engines.get('fp32')!.outputs.map((o) => o.name);
const writer = save ? new RecordingWriter(plan, outputs) : undefined;
const acc = new Map(outputs.flatMap((o) => pairs.map(([ref, test]) => [`${o}|${test} vs ${ref}`, new PsnrAccumulator()] as const)));
/** Images on which a pair's outputs are bit-identical (every output). */
const identical = new Map<string, number>();
function sameValues(a: NumericData, b: NumericData): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
const source = new ImageBatchSource(run.input, files, run.preprocessing, { batchSize: 1 }, true);
for (let feeds = await source.next(); feeds; feeds = await source.next()) {
  const got = new Map<string, Record<string, HostTensor>>();
  for (const [name, engine] of engines) got.set(name, await engine.run(feeds, outputs));
  const image = source.used.at(-1)!;
  if (recording) got.set('engine', recording.outputs[source.used.length - 1]!);
  writer?.add(image, got.get('engine')!);
  for (const [ref, test] of pairs) {
    const same = outputs.every((o) => sameValues(got.get(ref)![o]!.data as NumericData, got.get(test)![o]!.data as NumericData));
    if (same) identical.set(`${test} vs ${ref}`, (identical.get(`${test} vs ${ref}`) ?? 0) + 1);
  }
  for (const o of outputs) {
    for (const [ref, test] of pairs) acc.get(`${o}|${test} vs ${ref}`)!.add(got.get(ref)![o]!.data as NumericData, got.get(test)![o]!.data as NumericData);
  }
}
await writer?.save(save!);
const engineFrom = recording ? ` (engine: recorded in ${load})` : hasEngine ? '' : ' (no engine.int8-qdq.plan: emulation only)';
console.log(`${runDir}: ${source.used.length} images from ${images}${engineFrom}`);
for (const [key, a] of acc) {
  const [o, label] = key.split('|') as [string, string];
  const r = a.result();
  const perImage = r.perImage.map((p) => (typeof p === 'number' ? p : Infinity));
  const mean = perImage.reduce((a, b) => a + b, 0) / perImage.length;
  const per = perImage.map((p) => p.toFixed(1)).join(' ');
  const pooled = typeof r.value === 'number' ? r.value.toFixed(3) : r.value;
  console.log(`  ${o.padEnd(20)} ${label.padEnd(38)} pooled ${pooled} dB, mean per image ${mean.toFixed(3)} dB  [${per}]`);
}
for (const [label, n] of identical) console.log(`  bit-identical outputs, ${label}: ${n} of ${source.used.length} images`);
for (const e of engines.values()) await e.dispose();
