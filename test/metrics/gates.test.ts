import test from 'node:test';
import assert from 'node:assert/strict';
import { parseGates, variantVerdict } from '../../src/pipeline/gates.js';
import { PsnrAccumulator } from '../../src/metrics/psnr.js';
import { SimilarityAccumulator } from '../../src/metrics/similarity.js';
import { PdAccumulator } from '../../src/metrics/pd.js';
import { latencyStats } from '../../src/metrics/latency.js';
import { Int8calError } from '../../src/core/errors.js';
import type { OutputMetrics } from '../../reports/results-schema.js';

function output(name: string, ref: number[], test: number[], pd?: number): OutputMetrics {
  const psnr = new PsnrAccumulator();
  const similarity = new SimilarityAccumulator();
  psnr.add(ref, test);
  similarity.add(ref, test);
  const o: OutputMetrics = { name, dims: [1, ref.length], psnr: psnr.result(), similarity: similarity.result() };
  if (pd !== undefined) {
    const acc = new PdAccumulator({ network: 'net', tensor: 'f', threshold: 3, thresholdSource: 'test table' });
    acc.add([0], [pd]);
    o.pd = acc.result();
  }
  return o;
}

test('gates parse, and bad ones say how to write them', () => {
  assert.deepEqual(parseGates('psnr<30, pd>3,top1<=0.99'), [
    { expression: 'psnr<30', metric: 'psnr', op: '<', value: 30 },
    { expression: 'pd>3', metric: 'pd', op: '>', value: 3 },
    { expression: 'top1<=0.99', metric: 'top1', op: '<=', value: 0.99 },
  ]);
  assert.throws(() => parseGates('psnr=30'), (e: unknown) => e instanceof Int8calError && e.code === 'INVALID_GATE' && /METRIC<VALUE/.test(e.subject.hint ?? ''));
  assert.throws(() => parseGates('ssim<0.9'), /Unknown metric "ssim"/);
});

test('a variant fails exactly when a gate or a metric threshold fails', () => {
  // PSNR of [10, 0] vs [10, 1]: MSE 0.5, peak 10 → 10·log10(200) ≈ 23.01 dB
  const outputs = [output('a', [10, 0], [10, 1], 1), output('b', [1, 1], [1, 1])];
  const latency = latencyStats([5, 5]);
  const base = { name: 'int8', modelFile: 'model.int8.onnx', precision: 'int8' as const, latency, outputs, worstImages: [] };
  const pass = variantVerdict(base, parseGates('psnr<20'), 10);
  assert.equal(pass.verdict, 'pass');
  assert.equal(pass.speedup, 2);
  assert.deepEqual(pass.checks.map((c) => [c.metric, c.output, c.verdict]), [['psnr', 'a', 'pass'], ['psnr', 'b', 'pass'], ['pd', 'a', 'pass']]);
  const fail = variantVerdict(base, parseGates('psnr<25,speedup<1.5'), 10);
  assert.equal(fail.verdict, 'fail');
  assert.deepEqual(fail.checks.filter((c) => c.verdict === 'fail').map((c) => c.output), ['a']);
  // the PD network threshold alone fails it
  const far = variantVerdict({ ...base, outputs: [output('a', [1], [1], 4)] }, [], 10);
  assert.equal(far.verdict, 'fail');
  assert.match(far.checks[0]!.source, /net threshold: test table/);
  // no gate, no threshold: no verdict
  assert.equal(variantVerdict({ ...base, outputs: [output('b', [1], [1])] }, [], 10).verdict, 'none');
  // a gate with nothing to check cannot be evaluated: it fails, saying why
  const none = variantVerdict({ ...base, outputs: [output('b', [1], [1])] }, parseGates('top1<0.9'), 10);
  assert.equal(none.verdict, 'fail');
  assert.deepEqual(none.unmatched.map((g) => g.metric), ['top1']);
  assert.deepEqual(none.checks.map((c) => [c.metric, c.value, c.verdict, c.note]), [['top1', null, 'fail', 'cannot be evaluated: variant int8 has no top1']]);
  // "<=" gates are strict passes: psnr ∞ passes, exactly the value fails
  const exact = variantVerdict({ ...base, outputs: [output('c', [1], [1])] }, parseGates('psnr<=1e9'), 10);
  assert.equal(exact.checks[0]!.verdict, 'pass');
  assert.equal(exact.checks[0]!.strict, true);
});

test('addBatch splits a batch into per-image values', () => {
  const psnr = new PsnrAccumulator();
  psnr.addBatch(Float32Array.from([1, 1, 2, 2]), Float32Array.from([1, 1, 2, 1]), 2);
  const r = psnr.result();
  assert.equal(r.perImage.length, 2);
  assert.equal(r.perImage[0], 'inf');
  assert.ok(Math.abs((r.perImage[1] as number) - 10 * Math.log10(4 / 0.5)) < 1e-9);
  const sim = new SimilarityAccumulator();
  sim.addBatch([1, 0, 0, 1], [1, 0, 1, 0], 2);
  assert.deepEqual(sim.result().perImage, [1, 0]);
  assert.throws(() => psnr.addBatch([1, 2, 3], [1, 2, 3], 2));
});
