import test from 'node:test';
import assert from 'node:assert/strict';
import { interleavedTiming, latencyStats } from '../../src/metrics/latency.js';
import { percentile, summarize } from '../../src/metrics/stats.js';
import { Int8calError } from '../../src/core/errors.js';

test('percentiles interpolate linearly between ranks (numpy default)', () => {
  const ms = Array.from({ length: 101 }, (_, i) => i); // 0..100
  const s = latencyStats(ms);
  assert.equal(s.p50, 50);
  assert.equal(s.p90, 90);
  assert.equal(s.p99, 99);
  assert.equal(s.mean, 50);
  assert.equal(s.min, 0);
  assert.equal(s.max, 100);
  assert.equal(s.imagesPerSecond, 20);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([10, 20], 90), 19);
  assert.deepEqual(summarize([4, 1, 3, 2]), { count: 4, mean: 2.5, min: 1, p5: 1.15, max: 4 });
});

test('throughput counts the images of each run', () => {
  const s = latencyStats([40, 40, 40, 40], 8);
  assert.equal(s.p50, 40);
  assert.equal(s.imagesPerSecond, 200);
});

test('latency stats reject empty or negative timings', () => {
  assert.throws(() => latencyStats([]), Int8calError);
  assert.throws(() => latencyStats([1, -1]), /non-negative/);
});

test('interleaved timing alternates variants, rotates who goes first, and skips warm-up', async () => {
  const calls: string[] = [];
  let clock = 0;
  const cost: Record<string, number> = { a: 1, b: 2, c: 3 };
  const variant = (name: string) => ({ name, run: async () => { calls.push(name); clock += cost[name]!; } });
  const times = await interleavedTiming([variant('a'), variant('b'), variant('c')], { iterations: 2, warmup: 1, now: () => clock });
  assert.deepEqual(calls, ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
  assert.deepEqual(times, { a: [1, 1], b: [2, 2], c: [3, 3] });
  await assert.rejects(interleavedTiming([variant('a')], { iterations: 0, warmup: 0 }), /iterations/);
  await assert.rejects(interleavedTiming([variant('a'), variant('a')], { iterations: 1, warmup: 0 }), /distinct/);
});
