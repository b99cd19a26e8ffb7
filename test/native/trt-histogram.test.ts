import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram } from '../../src/core/native.js';

const nonZero = (counts: Float64Array): Array<[number, number]> =>
  [...counts.entries()].filter(([, c]) => c !== 0);

describe('trt histogram (TensorRT range doubling)', () => {
  it('sets the range from the first batch and doubles it (merging bin pairs) until a later batch fits', async () => {
    const h = new Histogram('trt');
    await h.accumulate(new Float32Array([0.5, -1.0]));
    assert.equal(h.stats().range, 1);
    assert.deepEqual(nonZero(h.linear()), [[1024, 1], [2047, 1]]);

    await h.accumulate(new Float32Array([3.0])); // 3 > 1: range 1 → 2 → 4, bins merged twice
    const stats = h.stats();
    assert.equal(stats.range, 4);
    assert.equal(stats.absmax, 3);
    assert.deepEqual(nonZero(h.linear()), [[256, 1], [511, 1], [1536, 1]]);
    assert.deepEqual(nonZero(h.linear(2048, 4)), [[256, 1], [511, 1], [1536, 1]]);
  });

  it('depends on batch order, unlike the exact histogram', async () => {
    const first = new Float32Array([0.5, 1.0]);
    const second = new Float32Array([3.0]);
    const [trtA, trtB, exactA, exactB] = [new Histogram('trt'), new Histogram('trt'), new Histogram(), new Histogram()];
    await trtA.accumulate(first);
    await trtA.accumulate(second);
    await trtB.accumulate(second);
    await trtB.accumulate(first);
    assert.equal(trtB.stats().range, 3);
    assert.deepEqual(nonZero(trtB.linear()), [[341, 1], [682, 1], [2047, 1]]);
    assert.notDeepEqual(trtA.serialize(), trtB.serialize());

    await exactA.accumulate(first);
    await exactA.accumulate(second);
    await exactB.accumulate(second);
    await exactB.accumulate(first);
    assert.deepEqual(exactA.serialize(), exactB.serialize());
  });

  it('keeps zeros in bin 0 until a non-zero batch sets the range; NaN/Inf are counted, not binned', async () => {
    const h = new Histogram('trt');
    await h.accumulate(new Float32Array([0, -0, NaN]));
    assert.equal(h.stats().range, 0);
    await h.accumulate(new Float32Array([2, Infinity, -Infinity, 1]));
    const stats = h.stats();
    assert.deepEqual(
      { range: stats.range, count: stats.count, nan: stats.nanCount, inf: stats.infCount, zeros: stats.zeroCount },
      { range: 2, count: 7, nan: 1, inf: 2, zeros: 2 },
    );
    assert.deepEqual(nonZero(h.linear()), [[0, 2], [1024, 1], [2047, 1]]);
  });

  it('serializes and restores exactly', async () => {
    const h = new Histogram('trt');
    await h.accumulate(new Float32Array([0.25, 7, 3.5, 0]));
    await h.accumulate(new Float32Array([20]));
    const restored = Histogram.deserialize(h.serialize());
    assert.equal(restored.mode, 'trt');
    assert.deepEqual(restored.stats(), h.stats());
    assert.deepEqual(restored.linear(), h.linear());
    assert.deepEqual(restored.serialize(), h.serialize());
  });
});
