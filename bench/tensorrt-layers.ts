/**
 * What bench/tensorrt-gpu.sh prints about TensorRT runs:
 *   node dist/bench/tensorrt-layers.js --build RUN…     per engine: build time, size, flags, layer
 *                                                       precisions, tensors without a scale, and
 *                                                       whether manifest.json vouches for the plan
 *   node dist/bench/tensorrt-layers.js --results RUN…   per variant: worst PSNR per output, per-image
 *                                                       PSNR, p50/p90 latency, layer precisions
 *   node dist/bench/tensorrt-layers.js --dump PLAN OUT  the engine inspector's JSON of PLAN into OUT,
 *                                                       and one line per layer (type, precision, name)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTensorRt } from '../src/core/tensorrt.js';
import type { TensorRtBuildJson } from '../src/pipeline/build-tensorrt.js';
import { describeLayers, engineLayers } from '../src/pipeline/tensorrt-layers.js';
import { RUN_FILES, type RunFile } from '../src/run/layout.js';
import { runFileOf, TrustCheck } from '../src/run/manifest.js';
import { checkResults } from '../reports/results-check.js';
import { engineLayersText } from '../reports/view.js';

const [mode, ...args] = process.argv.slice(2);
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const fileKey = (name: string): RunFile => runFileOf(name)!;

async function builds(runs: string[]): Promise<void> {
  for (const run of runs) {
    const trt = (json(join(run, RUN_FILES.build)) as { tensorrt?: TensorRtBuildJson }).tensorrt;
    if (!trt) continue;
    console.log(`${run}: TensorRT ${trt.version} on ${trt.gpu.name}, level ${trt.optimizationLevel}`);
    const trust = new TrustCheck(run);
    for (const e of Object.values(trt.engines)) {
      if (!e) continue;
      const distrust = await trust.check(fileKey(e.file));
      const extra = [
        e.flags.length ? e.flags.join('|') : 'fp32 only',
        e.layers ? describeLayers(e.layers) + (e.layers.dataLayers ? ` (+${e.layers.dataLayers} reformat/constant)` : '') : 'layers unknown',
        e.precisionConstraints && `precision constraints ${e.precisionConstraints.mode} on ${e.precisionConstraints.layers} layers`,
        e.missingScales && `${e.missingScales.count} tensors without a scale`,
        e.constantScales === false && 'no constant entries',
        e.calibration && `scales ${e.calibration.scales} (${e.calibration.algorithm}), getBatch ${e.calibration.getBatchCalls}, constants added ${e.calibration.constantsAdded ?? 0}`,
        distrust ? `NOT VOUCHED: ${distrust.why}` : 'vouched by manifest.json',
      ].filter(Boolean);
      console.log(`  ${e.mode.padEnd(8)} ${(e.buildMs / 1000).toFixed(1)} s, ${e.bytes} bytes; ${extra.join('; ')}`);
      if (e.layers?.fp32Layers.length && e.mode !== 'fp32') console.log(`    fp32 layers: ${e.layers.fp32Layers.slice(0, 8).join(', ')}${e.layers.fp32Layers.length > 8 ? ', …' : ''}`);
    }
  }
}

function results(runs: string[]): void {
  for (const run of runs) {
    let r;
    try {
      r = checkResults(json(join(run, RUN_FILES.results)), run);
    } catch {
      continue;
    }
    console.log(`${run}: ${r.evaluation.images.length} images, ${r.environment.gpu ? `cuda graph ${String((r.environment.gpu as { cudaGraph?: boolean }).cudaGraph)}` : 'CPU only'}`);
    for (const v of r.variants) {
      const outs = v.outputs.map((o) => `${o.name} ${typeof o.psnr?.value === 'number' ? o.psnr.value.toFixed(2) : o.psnr?.value ?? '-'} dB [${(o.psnr?.perImage ?? []).map((p) => (typeof p === 'number' ? p.toFixed(1) : p)).join(' ')}]`);
      const layers = engineLayersText(v);
      console.log(`  ${v.name.padEnd(13)} p50 ${v.latency.p50.toFixed(3)} p90 ${v.latency.p90.toFixed(3)} ms${v.device === 'gpu' ? ' GPU' : ''}  ${outs.join('; ') || 'reference'}${layers ? `  (${layers})` : ''}`);
    }
  }
}

function dump(plan: string, out: string): void {
  const { binding } = loadTensorRt();
  const engine = new binding.Engine(new Uint8Array(readFileSync(plan)));
  const text = engine.layers();
  engine.dispose();
  writeFileSync(out, text);
  const counts = engineLayers(text);
  if (!counts) return console.log('the inspector JSON does not parse or has no detailed layers');
  const layers = (JSON.parse(text) as { Layers: { Name: string; LayerType: string; Inputs?: { 'Format/Datatype'?: string }[]; Outputs?: { 'Format/Datatype'?: string }[] }[] }).Layers;
  for (const l of layers) {
    const fmt = (ts?: { 'Format/Datatype'?: string }[]) => (ts ?? []).map((t) => t['Format/Datatype']).join(' | ');
    console.log(`${l.LayerType.padEnd(16)} in: ${fmt(l.Inputs)}  out: ${fmt(l.Outputs)}  ${l.Name.slice(0, 160)}`);
  }
  console.log(describeLayers(counts));
}

if (mode === '--build') await builds(args);
else if (mode === '--results') results(args);
else if (mode === '--dump' && args.length === 2) dump(args[0]!, args[1]!);
else {
  console.error('usage: tensorrt-layers.js --build RUN… | --results RUN… | --dump PLAN OUT.json');
  process.exit(1);
}
