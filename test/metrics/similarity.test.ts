import test from 'node:test';
import assert from 'node:assert/strict';
import { cosineSimilarity, similarity } from '../../src/metrics/similarity.js';
import { classification, top1 } from '../../src/metrics/classification.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

test('identical outputs: cosine 1, max |Δ| 0', () => {
  const s = similarity({ minCosine: 0.99 });
  s.add([1, 2, 3], [1, 2, 3]);
  const r = s.result();
  close(r.cosine.mean, 1);
  assert.equal(r.maxAbs, 0);
  assert.equal(r.meanAbs, 0);
  assert.equal(r.verdict, 'pass');
});

test('hand-computed cosine, max and mean |Δ| over images', () => {
  // orthogonal → 0, opposite → −1, 45° → √½
  close(cosineSimilarity([1, 0], [0, 1]), 0);
  close(cosineSimilarity([1, 2], [-1, -2]), -1);
  close(cosineSimilarity([1, 0], [1, 1]), Math.SQRT1_2);
  assert.equal(cosineSimilarity([0, 0], [0, 0]), 1);
  assert.equal(cosineSimilarity([0, 0], [1, 0]), 0);
  const s = similarity({ minCosine: 0.9 });
  s.add([1, 0], [1, 1]); // |Δ| = 0, 1
  s.add([2, 2], [2, 2]); // |Δ| = 0, 0
  s.add([1, 0], [0, 1]); // |Δ| = 1, 1
  const r = s.result();
  assert.equal(r.maxAbs, 1);
  close(r.meanAbs, 3 / 6);
  close(r.cosine.mean, (Math.SQRT1_2 + 1 + 0) / 3);
  close(r.cosine.min, 0);
  // p5 of [0, √½, 1] (linear interpolation): 0.1 · √½
  close(r.cosine.p5, 0.1 * Math.SQRT1_2);
  assert.equal(r.verdict, 'fail');
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('NaN pairs are counted, not propagated, and fail the cosine threshold', () => {
  const s = similarity({ minCosine: 0.5 });
  s.add([1, 2, 3], [1, NaN, 3]);
  s.add([NaN, Infinity, 1], [NaN, Infinity, 1]); // identical NaN/Inf: not a mismatch
  const r = s.result();
  assert.equal(r.nonFinite, 1);
  close(r.cosine.mean, 1);
  assert.equal(r.maxAbs, 0);
  assert.equal(r.verdict, 'fail');
});

test('top-1 agreement over rows of a batch', () => {
  assert.deepEqual(top1([0.1, 0.7, 0.2, 0.5, 0.5, 0], 2), [1, 0]);
  const c = classification({ minAgreement: 0.75 });
  c.add([0.1, 0.7, 0.2, 0.9, 0.05, 0.05], [0.1, 0.6, 0.3, 0.4, 0.5, 0.1], 2); // agree, disagree
  c.add([1, 0, 0], [2, 1, 0]); // agree
  const r = c.result();
  assert.equal(r.agreed, 2);
  assert.equal(r.total, 3);
  close(r.value, 2 / 3);
  assert.equal(r.verdict, 'fail');
  assert.deepEqual(r.perImage[1], { reference: 0, test: 1 });
});
