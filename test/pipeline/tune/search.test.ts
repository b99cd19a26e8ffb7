/**
 * The greedy search with pruning, on a known metric (sum of per-node gains, one node harmful):
 * it stays within its budget, never takes a move that lowers the metric, drops harmful nodes,
 * and prunes nodes the target holds without. Real models: det.test.ts, auto-fr-detect.test.ts.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { searchFloatSet, type Evaluated } from '../../../src/pipeline/tune/search.js';

const GAINS: Record<string, number> = { a: 3, harmful: -4, b: 2, c: 0.1, d: 0.1, e: 0.1, f: 1 };
const evaluatorFor = (target: number) => {
  const seen: string[] = [];
  const evaluate = async (floatNodes: string[]): Promise<Evaluated> => {
    seen.push([...floatNodes].sort().join(','));
    const progress = 20 + floatNodes.reduce((s, n) => s + GAINS[n]!, 0);
    return { metrics: { psnr: progress }, meets: progress >= target, progress };
  };
  return { seen, evaluate, start: { metrics: { psnr: 20 }, meets: 20 >= target, progress: 20 } };
};

test('greedy search: reaches the target with the fewest useful nodes, within budget, monotone taken moves', async () => {
  const e = evaluatorFor(25.5);
  const steps = await searchFloatSet({ ranking: ['harmful', 'a', 'c', 'd', 'e', 'b', 'f'], start: e.start, budget: 20, evaluate: e.evaluate });
  assert.ok(steps.length - 1 <= 20);
  assert.equal(new Set(e.seen).size, e.seen.length, 'no float set evaluated twice');
  for (const s of steps) if (s.phase === 'grow') assert.ok(s.result.progress > steps[s.base!]!.result.progress);
  const final = steps.filter((s) => s.taken).at(-1)!;
  assert.ok(final.result.meets);
  assert.ok(!final.floatNodes.includes('harmful'), 'the harmful node is dropped');
  assert.deepEqual([...final.floatNodes].sort(), ['a', 'b', 'f'].filter((n) => final.floatNodes.includes(n)).sort());
  assert.ok(final.floatNodes.every((n) => GAINS[n]! >= 1), `pruned to nodes that matter: ${final.floatNodes.join(',')}`);
});

test('greedy search: an unreachable target spends exactly its budget and never prunes', async () => {
  const e = evaluatorFor(100);
  const steps = await searchFloatSet({ ranking: Object.keys(GAINS), start: e.start, budget: 5, evaluate: e.evaluate });
  assert.equal(steps.length - 1, 5);
  assert.ok(steps.every((s) => s.phase !== 'prune' && !s.result.meets));
});
