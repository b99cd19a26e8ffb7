/**
 * The greedy search with pruning, on a known metric (sum of per-node gains, one node harmful):
 * it stays within its budget, never takes a move that lowers the metric, drops harmful nodes,
 * and prunes nodes the target holds without; with check images, a move that only helps on the
 * tune images (luck) is not taken. Real models: det.test.ts, auto-fr-detect.test.ts.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { improves, searchFloatSet, type Evaluated } from '../../../src/pipeline/tune/search.js';

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

/** Tune-image gains as GAINS, plus one node that looks best on the tune images and hurts on the check images. */
const LUCKY: Record<string, number> = { ...GAINS, lucky: 6 };
const CHECK: Record<string, number> = { ...GAINS, lucky: -6 };
const checkedEvaluator = (target: number, withCheck: boolean) => {
  const at = (floatNodes: readonly string[]): Evaluated => {
    const progress = 20 + floatNodes.reduce((s, n) => s + LUCKY[n]!, 0);
    const check = 20 + floatNodes.reduce((s, n) => s + CHECK[n]!, 0);
    return { metrics: { psnr: progress }, meets: progress >= target, progress, ...(withCheck ? { check: { metrics: { psnr: check }, meets: check >= target, progress: check } } : {}) };
  };
  return { start: at([]), evaluate: async (floatNodes: string[]) => at(floatNodes) };
};

test('greedy search with check images: a move that raises the tune images but lowers the check images is not taken', async () => {
  const ranking = ['lucky', 'a', 'b', 'f', 'c', 'd', 'e', 'harmful'];
  const without = checkedEvaluator(25.5, false);
  const pooled = (await searchFloatSet({ ranking, start: without.start, budget: 20, evaluate: without.evaluate })).filter((s) => s.taken).at(-1)!;
  assert.ok(pooled.floatNodes.includes('lucky'), 'on the tune images alone the lucky node is taken (the test can fail)');
  const e = checkedEvaluator(25.5, true);
  const steps = await searchFloatSet({ ranking, start: e.start, budget: 20, evaluate: e.evaluate });
  for (const s of steps) if (s.phase === 'grow') assert.ok(improves(s.result, steps[s.base!]!.result) && s.result.check!.progress > steps[s.base!]!.result.check!.progress);
  const final = steps.filter((s) => s.taken).at(-1)!;
  assert.ok(final.result.meets, 'the target is still reached, on the tune images');
  assert.ok(!final.floatNodes.includes('lucky'), `float: ${final.floatNodes.join(',')}`);
  assert.ok(steps.some((s) => s.phase === 'candidate' && s.floatNodes.includes('lucky') && s.result.progress > steps[s.base!]!.result.progress), 'the lucky move was tried and refused');
});

test('improves: the tune images must rise; the check images must rise while they miss the target, else keep meeting it', () => {
  const e = (progress: number, check?: number): Evaluated => ({ metrics: {}, meets: progress >= 30, progress, ...(check === undefined ? {} : { check: { metrics: {}, meets: check >= 30, progress: check } }) });
  assert.equal(improves(e(21), e(20)), true);
  assert.equal(improves(e(20), e(20)), false);
  assert.equal(improves(e(21, 19), e(20, 20)), false);
  assert.equal(improves(e(21, 20.5), e(20, 20)), true);
  assert.equal(improves(e(19, 25), e(20, 20)), false);
  assert.equal(improves(e(21, 30.5), e(20, 31)), true, 'check images at the target: a small drop there is noise');
  assert.equal(improves(e(21, 29.9), e(20, 31)), false, 'but not below the target');
});

/**
 * Floating any one of p, q, r lowers the metric, floating all three buys 12, and every other
 * float node then costs 0.5 (interacting errors, as on PaddleOCR det); alone, others gain 0.1.
 */
const OTHERS = 'abcdefghijkl'.split('');
const interacting = (floatNodes: readonly string[]): Evaluated => {
  const inter = floatNodes.filter((n) => 'pqr'.includes(n)).length;
  const others = floatNodes.length - inter;
  const progress = 20 + others * 0.1 - inter + (inter === 3 ? 12 - others * 0.6 : 0);
  return { metrics: { psnr: progress }, meets: progress >= 28, progress };
};

test('greedy search: where growth stalls on interacting nodes, the fallback floats the most harmful alone in int8 at once, then narrows and prunes', async () => {
  let asked = 0;
  const harmRanking = async () => {
    asked += 1;
    return ['p', 'q', 'r', ...OTHERS];
  };
  const input = { ranking: [...OTHERS, 'p', 'q', 'r'], start: interacting([]), budget: 20, evaluate: async (f: string[]) => interacting(f), harmRanking };
  const steps = await searchFloatSet(input);
  assert.equal(asked, 1);
  assert.ok(steps.length - 1 <= 20);
  const greedy = steps.filter((s) => s.phase === 'grow' || s.phase === 'candidate');
  assert.ok(greedy.length > 0 && greedy.every((s) => !s.result.meets), 'greedy growth alone does not reach it (the test can fail)');
  const final = steps.filter((s) => s.taken).at(-1)!;
  assert.ok(final.result.meets);
  assert.deepEqual([...final.floatNodes].sort(), ['p', 'q', 'r']);
  assert.ok(steps.some((s) => s.phase === 'bulk' && s.taken), 'the fallback\'s set is on the path');

  asked = 0;
  const easy = evaluatorFor(25.5);
  await searchFloatSet({ ranking: ['a', 'b', 'f', 'c'], start: easy.start, budget: 20, evaluate: easy.evaluate, harmRanking });
  assert.equal(asked, 0, 'no fallback ranking is paid for when greedy growth reaches the target');
});

test('pruning: a float set larger than the budget left goes back to int8 in groups, halving, down to the nodes it needs', async () => {
  const others = Array.from({ length: 18 }, (_, i) => `o${i}`);
  // p and q matter only together: greedy growth stalls, the fallback's prefix holds 14 nodes it doesn't need.
  const pair = (f: readonly string[]): Evaluated => {
    const progress = 20 + (f.includes('p') && f.includes('q') ? 9 : 0) - 0.01 * f.length;
    return { metrics: { psnr: progress }, meets: progress >= 28, progress };
  };
  const harm = [...others.slice(0, 14), 'p', 'q', ...others.slice(14)];
  const steps = await searchFloatSet({ ranking: [...others, 'p', 'q'], start: pair([]), budget: 20, evaluate: async (f) => pair(f), harmRanking: async () => harm });
  assert.ok(steps.length - 1 <= 20);
  const bulk = steps.filter((s) => s.phase === 'bulk' && s.taken).at(-1)!;
  assert.equal(bulk.floatNodes.length, 16, 'the fallback floats the 16 most harmful (the test can fail: more than the budget left)');
  const final = steps.filter((s) => s.taken).at(-1)!;
  assert.deepEqual([...final.floatNodes].sort(), ['p', 'q']);
  assert.ok(steps.some((s) => s.phase === 'prune' && s.taken && steps[s.base!]!.floatNodes.length - s.floatNodes.length > 1), 'a group went back at once');
});
