import test from 'node:test';
import assert from 'node:assert/strict';
import { quantizationErrors } from '../../src/core/native.js';

/** The definition, literally: values uniform in each bin, sampled at 4 points, symmetric int8. */
function reference(counts: Float64Array, range: number, amax: number): { mse: number; meanSquare: number } {
  const w = range / counts.length;
  let total = 0, error = 0, power = 0;
  counts.forEach((c, j) => {
    for (let k = 0; k < 4; k++) {
      const x = (j + (k + 0.5) / 4) * w;
      const r = x / (amax / 127);
      const q = Math.min(127, r - Math.floor(r) === 0.5 ? 2 * Math.round(r / 2) : Math.round(r)) * (amax / 127);
      error += (c * (q - x) ** 2) / 4;
      power += (c * x * x) / 4;
    }
    total += c;
  });
  return { mse: error / total, meanSquare: power / total };
}

test('quantizationErrors: native expected int8 error matches its definition; clipping and too-coarse ranges cost', async () => {
  const counts = new Float64Array(4096);
  let seed = 7;
  for (let i = 0; i < counts.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    counts[i] = Math.floor((seed / 2 ** 31) * 1000 * Math.exp(-i / 300));
  }
  const range = 8;
  const amaxes = [8, 4, 2, 0.5, 0];
  const { mse, meanSquare } = await quantizationErrors(counts, range, amaxes);
  amaxes.forEach((a, i) => {
    const r = reference(counts, range, a);
    assert.ok(Math.abs(mse[i]! - r.mse) <= 1e-9 * r.mse + 1e-15, `amax ${a}: ${mse[i]} vs ${r.mse}`);
    assert.ok(Math.abs(meanSquare - r.meanSquare) <= 1e-9 * r.meanSquare);
  });
  assert.ok(Math.abs(mse[4]! - meanSquare) <= 1e-12 * meanSquare, 'amax 0: every value becomes 0');
  assert.ok(mse[3]! > mse[2]!, 'clipping at 0.5 costs more than at 2 on this tail');
  await assert.rejects(async () => quantizationErrors(new Float64Array(0), 1, [1]), /counts/);
  await assert.rejects(async () => quantizationErrors(counts, 1, [Number.NaN]), /amaxes\[0\]/);
});
