/**
 * The demo run's outputs pinned: refactors must reproduce them exactly (issue 14). The fixture
 * holds, per CPU it was recorded on, the sha256 of the cache and both Q/DQ models and
 * results.json's accuracy numbers (no timings, no dates). ONNX Runtime's kernels differ between
 * CPU families (AVX2, AVX-512, VNNI) and the ort-cpu weights follow them (--ort-weight-bits auto),
 * so bytes are compared on a CPU recorded; elsewhere the scales and accuracy must agree closely
 * with the record whose ort-cpu weight bits are this machine's. A change of behaviour on purpose
 * re-records this CPU's entry: INT8CAL_UPDATE_FIXTURES=1 (an AVX2-only entry can be recorded on
 * any x86 machine under `qemu-x86_64 -cpu EPYC-Rome node …`).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoOptions } from '../../src/cli/run.js';
import { cpuFeatures } from '../../src/core/native.js';
import { runPipeline, type RunOptions } from '../../src/pipeline/run.js';
import type { Results } from '../../reports/results-schema.js';
import { ORT_BITS_HERE } from '../onnx/helpers/qdq-checks.js';
import { fixturesDir } from '../support/paths.js';

const fixtureFile = join(fixturesDir, 'demo-run.json');
const work = await mkdtemp(join(tmpdir(), 'int8cal-demo-fixture-'));
test.after(() => rm(work, { recursive: true, force: true }));

interface DemoFixture {
  cpu: string;
  /** The cpuid features that pick ONNX Runtime's kernels. */
  features: string;
  ortWeightBits: 7 | 8;
  sha256: Record<string, string>;
  scales: Record<string, number>;
  accuracy: unknown;
}

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

function scalesOf(cache: string): Record<string, number> {
  const scales: Record<string, number> = {};
  for (const line of cache.split('\n').slice(1).filter(Boolean)) {
    const at = line.lastIndexOf(': ');
    scales[line.slice(0, at)] = Buffer.from(line.slice(at + 2).padStart(8, '0'), 'hex').readFloatBE(0);
  }
  return scales;
}

/** Accuracy numbers only: what a refactor must not change. */
function accuracyOf(results: Results) {
  return results.variants.map((v) => ({
    name: v.name,
    outputs: v.outputs.map((o) => ({ name: o.name, psnr: o.psnr!.value, cosine: o.similarity!.cosine.mean, maxAbs: o.similarity!.maxAbs })),
    detection: v.detection && { f1: v.detection.f1, ap: v.detection.ap },
  }));
}

function assertClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    assert.ok(Math.abs(actual - expected) <= 1e-3 * Math.abs(expected) + 1e-9, `${path}: ${actual} vs ${expected}`);
  } else if (expected && typeof expected === 'object') {
    assert.equal(typeof actual, 'object', path);
    for (const key of Object.keys(expected)) assertClose((actual as any)[key], (expected as any)[key], `${path}.${key}`);
  } else {
    assert.deepEqual(actual, expected, path);
  }
}

test('the demo run reproduces its pinned cache, Q/DQ models and accuracy numbers', async (t) => {
  const out = join(work, 'demo');
  const { results } = await runPipeline({ ...demoOptions(), out, iterations: 3, quiet: true } as RunOptions);
  const files = ['calibration.cache', 'model.int8.onnx', 'model.int8-ort.onnx'];
  const actual: DemoFixture = {
    cpu: cpus()[0]?.model ?? 'unknown',
    features: Object.entries(cpuFeatures()).filter(([, on]) => on).map(([name]) => name).join(' '),
    ortWeightBits: ORT_BITS_HERE,
    sha256: Object.fromEntries(await Promise.all(files.map(async (f) => [f, await sha256(join(out, f))]))),
    scales: scalesOf(await readFile(join(out, 'calibration.cache'), 'utf8')),
    accuracy: JSON.parse(JSON.stringify(accuracyOf(results))),
  };
  const sameCpu = (r: DemoFixture) => r.cpu === actual.cpu && r.features === actual.features;
  const records = JSON.parse(await readFile(fixtureFile, 'utf8').catch(() => '[]')) as DemoFixture[];
  if (process.env.INT8CAL_UPDATE_FIXTURES === '1') {
    await writeFile(fixtureFile, JSON.stringify([...records.filter((r) => !sameCpu(r)), actual], null, 1) + '\n');
    return;
  }
  const exact = records.find(sameCpu);
  if (exact) {
    assert.deepEqual(actual.sha256, exact.sha256);
    assert.deepEqual(actual.accuracy, exact.accuracy);
  }
  const expected = exact ?? records.find((r) => r.ortWeightBits === actual.ortWeightBits);
  assert.ok(expected, `no record with ${actual.ortWeightBits}-bit ort-cpu weights in ${fixtureFile}: record one (see the top of this file)`);
  if (!exact) t.diagnostic(`recorded on "${expected.cpu}" (${expected.features}), running on "${actual.cpu}" (${actual.features}): comparing numbers, not bytes`);
  assert.deepEqual(Object.keys(actual.scales).sort(), Object.keys(expected.scales).sort());
  assertClose(actual.scales, expected.scales, 'scale');
  assertClose(actual.accuracy, expected.accuracy, 'accuracy');
});
