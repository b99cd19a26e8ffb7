/**
 * `node dist/bench/tensorrt-emulation.js RUN IMAGES [MAX]`: how closely ONNX Runtime's CPU run of
 * model.int8.onnx predicts the TensorRT engine built from it (engine.int8-qdq.plan), image by image.
 * Per output it prints three pooled PSNRs over the same images (peak = the reference's max |x|):
 * emulation vs fp32 and engine vs fp32 (what evaluate compares; their gap is what the 0.1 dB band
 * judges) and engine vs emulation (how far apart the two int8 runs really are). Needs a GPU.
 */
import { listImages } from '../datasets/images/index.js';
import { createEngine } from '../src/engines/registry.js';
import type { Engine, HostTensor } from '../src/engines/engine.js';
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
const PAIRS = [['emulation vs fp32', 'fp32', 'emulation'], ['engine vs fp32', 'fp32', 'engine'], ['engine vs emulation', 'emulation', 'engine']] as const;
type Role = 'fp32' | 'emulation' | 'engine';

const run = await readRunJson(runDir, 'run', checkRunManifest, 'calibrate');
if (!run.preprocessing) throw new Error(`${runDir} was calibrated from tensor files: this bench feeds images`);
const files = (await listImages(images)).slice(0, max ? Number(max) : undefined);
const engines: Record<Role, Engine> = {
  fp32: await createEngine('onnxruntime', runPath(runDir, 'fp32'), { rewrites: 'full' }),
  emulation: await createEngine('onnxruntime', runPath(runDir, 'model.int8.onnx'), { rewrites: 'full' }),
  engine: await createEngine('tensorrt', runPath(runDir, 'engineInt8Qdq')),
};
const outputs = engines.fp32.outputs.map((o) => o.name);
const acc = new Map(outputs.flatMap((o) => PAIRS.map(([label]) => [`${o}|${label}`, new PsnrAccumulator()] as const)));
const source = new ImageBatchSource(run.input, files, run.preprocessing, { batchSize: 1 }, true);
for (let feeds = await source.next(); feeds; feeds = await source.next()) {
  const got = {} as Record<Role, Record<string, HostTensor>>;
  for (const role of Object.keys(engines) as Role[]) got[role] = await engines[role].run(feeds, outputs);
  for (const o of outputs) {
    for (const [label, ref, test] of PAIRS) acc.get(`${o}|${label}`)!.add(got[ref][o]!.data as NumericData, got[test][o]!.data as NumericData);
  }
}
console.log(`${runDir}: ${source.used.length} images from ${images}`);
for (const o of outputs) {
  for (const [label] of PAIRS) {
    const r = acc.get(`${o}|${label}`)!.result();
    const per = r.perImage.map((p) => (typeof p === 'number' ? p.toFixed(1) : String(p))).join(' ');
    console.log(`  ${o.padEnd(20)} ${label.padEnd(20)} ${typeof r.value === 'number' ? r.value.toFixed(2) : r.value} dB  [${per}]`);
  }
}
for (const e of Object.values(engines)) await e.dispose();
