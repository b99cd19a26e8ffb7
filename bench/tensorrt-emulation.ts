/**
 * `node dist/bench/tensorrt-emulation.js RUN IMAGES [MAX]`: how closely ONNX Runtime's CPU run of
 * model.int8.onnx predicts the TensorRT engine built from it (RUN/engine.int8-qdq.plan), over the
 * same images. Per output, pooled PSNR (peak = the reference's max |x|) of: the emulation vs fp32
 * at each graph-rewrite level (`none` runs the Q/DQ graph exactly as written; evaluate uses
 * `full`), the engine vs fp32, and the engine vs the emulation. Without the plan (or a GPU) only
 * the emulation rows are printed: how much ONNX Runtime's own exact-in-fp32 rewrites move the
 * figure the 0.1 dB band compares against.
 */
import { existsSync } from 'node:fs';
import { listImages } from '../datasets/images/index.js';
import { createEngine } from '../src/engines/registry.js';
import { GRAPH_REWRITES, type Engine, type HostTensor } from '../src/engines/engine.js';
import type { NumericData } from '../src/metrics/data.js';
import { PsnrAccumulator } from '../src/metrics/psnr.js';
import { ImageBatchSource } from '../src/pipeline/image-source.js';
import { readRunJson } from '../src/run/files.js';
import { checkRunManifest } from '../src/run/check.js';
import { runPath } from '../src/run/layout.js';

const [runDir, images, max] = process.argv.slice(2);
if (!runDir || !images) {
  console.error('usage: tensorrt-emulation.js RUN IMAGES [MAX]');
  process.exit(2);
}
const run = await readRunJson(runDir, 'run', checkRunManifest, 'calibrate');
if (!run.preprocessing) throw new Error(`${runDir} was calibrated from tensor files: this bench feeds images`);
const files = (await listImages(images)).slice(0, max ? Number(max) : undefined);

const engines = new Map<string, Engine>([['fp32', await createEngine('onnxruntime', runPath(runDir, 'fp32'), { rewrites: 'full' })]]);
for (const r of GRAPH_REWRITES) engines.set(`emulation (${r})`, await createEngine('onnxruntime', runPath(runDir, 'model.int8.onnx'), { rewrites: r }));
const plan = runPath(runDir, 'engineInt8Qdq');
if (existsSync(plan)) engines.set('engine', await createEngine('tensorrt', plan));
const pairs: [string, string][] = [...engines.keys()].filter((k) => k !== 'fp32').map((k) => ['fp32', k]);
if (engines.has('engine')) pairs.push(['emulation (full)', 'engine']);

const outputs = engines.get('fp32')!.outputs.map((o) => o.name);
const acc = new Map(outputs.flatMap((o) => pairs.map(([ref, test]) => [`${o}|${test} vs ${ref}`, new PsnrAccumulator()] as const)));
const source = new ImageBatchSource(run.input, files, run.preprocessing, { batchSize: 1 }, true);
for (let feeds = await source.next(); feeds; feeds = await source.next()) {
  const got = new Map<string, Record<string, HostTensor>>();
  for (const [name, engine] of engines) got.set(name, await engine.run(feeds, outputs));
  for (const o of outputs) {
    for (const [ref, test] of pairs) acc.get(`${o}|${test} vs ${ref}`)!.add(got.get(ref)![o]!.data as NumericData, got.get(test)![o]!.data as NumericData);
  }
}
console.log(`${runDir}: ${source.used.length} images from ${images}${engines.has('engine') ? '' : ' (no engine.int8-qdq.plan: emulation only)'}`);
for (const [key, a] of acc) {
  const [o, label] = key.split('|') as [string, string];
  const r = a.result();
  const per = r.perImage.map((p) => (typeof p === 'number' ? p.toFixed(1) : String(p))).join(' ');
  console.log(`  ${o.padEnd(20)} ${label.padEnd(34)} ${typeof r.value === 'number' ? r.value.toFixed(2) : r.value} dB  [${per}]`);
}
for (const e of engines.values()) await e.dispose();
