import test from 'node:test';
import assert from 'node:assert/strict';
import { fromDecibels, psnr, psnrOf, toDecibels, worstImages } from '../../src/metrics/psnr.js';

test('identical outputs have PSNR "inf", which survives JSON', () => {
  const ref = Float32Array.from([0.5, -2, 3, 0]);
  const r = psnr({ threshold: 30 });
  r.add(ref, Float32Array.from(ref));
  r.add(ref, ref);
  const out = r.result();
  assert.equal(out.value, 'inf');
  assert.equal(out.mse, 0);
  assert.equal(out.peak, 3);
  assert.deepEqual(out.perImage, ['inf', 'inf']);
  assert.equal(out.verdict, 'pass');
  assert.equal(JSON.parse(JSON.stringify(out)).value, 'inf');
  assert.equal(fromDecibels(out.value), Infinity);
});

test('ref all 1.0 except a peak of 10, ±0.1 noise → MSE 0.01 → PSNR exactly 40 dB', () => {
  const n = 1000;
  const ref = new Float64Array(n).fill(1);
  ref[17] = 10;
  const test = ref.map((v, i) => v + (i % 2 ? 0.1 : -0.1));
  const r = psnr({ threshold: 40.5 });
  r.add(ref, test);
  const out = r.result();
  assert.ok(Math.abs(out.mse - 0.01) < 1e-12);
  assert.equal(out.peak, 10);
  // 10·log10(100 / 0.01) = 40
  assert.ok(Math.abs((out.value as number) - 40) < 1e-9, `got ${out.value}`);
  assert.equal(out.verdict, 'fail');
  assert.equal(out.threshold, 40.5);
});

test('MSE and peak are pooled over images, not averaged per image', () => {
  // Image A: peak 2, error 0 everywhere. Image B: peak 1, error 0.2 on each of 4 elements.
  const r = psnr();
  r.add([2, 0, 0, 0], [2, 0, 0, 0]);
  r.add([1, 1, 1, 1], [1.2, 0.8, 1.2, 0.8]);
  const out = r.result();
  // pooled MSE = (4·0.04) / 8 = 0.02; peak 2 → 10·log10(4 / 0.02) = 23.0103
  assert.ok(Math.abs(out.mse - 0.02) < 1e-12);
  assert.ok(Math.abs((out.value as number) - 10 * Math.log10(200)) < 1e-9);
  // per image, same set peak: A is ∞, B has MSE 0.04 → 10·log10(4/0.04) = 20
  assert.equal(out.perImage[0], 'inf');
  assert.ok(Math.abs((out.perImage[1] as number) - 20) < 1e-9);
  assert.deepEqual(worstImages(out.perImage, 1), [1]);
  assert.equal(out.verdict, undefined);
  assert.equal(out.threshold, undefined);
});

test('NaN in the test output scores "-inf" and is counted; same NaN on both sides is equal', () => {
  const r = psnr({ threshold: 10 });
  r.add([1, NaN, 2], [1, NaN, 2]);
  assert.equal(r.result().value, 'inf');
  r.add([1, 2, 3], [1, NaN, 3]);
  const out = r.result();
  assert.equal(out.value, '-inf');
  assert.equal(out.nonFinite, 1);
  assert.equal(out.verdict, 'fail');
  assert.deepEqual(out.perImage, ['inf', '-inf']);
});

test('an all-zero reference with a non-zero test output is -inf, not NaN', () => {
  assert.equal(psnrOf([0, 0], [0, 0.5]), '-inf');
  assert.equal(psnrOf([0, 0], [0, 0]), 'inf');
});

test('toDecibels / fromDecibels round-trip and reject NaN', () => {
  for (const v of [Infinity, -Infinity, 12.5]) assert.equal(fromDecibels(toDecibels(v)), v);
  assert.throws(() => toDecibels(NaN));
});

test('worst images: lowest PSNR first, -inf before numbers, ∞ last', () => {
  assert.deepEqual(worstImages([30, 'inf', 12, '-inf', 30], 5), [3, 2, 0, 4, 1]);
});
