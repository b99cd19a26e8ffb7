/**
 * Speed words need evidence. Two latency figures always differ a little; "faster" is only said
 * when the difference is larger than the run-to-run noise of the slower variant, measured over
 * enough runs to know that noise.
 */
import type { LatencyStats, SpeedComparison, SpeedWord } from '../../reports/metric-results.js';
export type { SpeedComparison, SpeedWord };

/** Fewer timed runs than this: the numbers only, no speed word. */
export const MIN_RUNS_FOR_SPEED_WORDS = 20;

/**
 * With ≥ 20 runs, a ratio whose distance from 1 is under twice the relative MAD of the slower
 * variant's runs is "same speed"; otherwise "faster"/"slower". Fewer runs: no word.
 */
export function compareSpeed(reference: Pick<LatencyStats, 'p50' | 'mad' | 'count'>, variant: Pick<LatencyStats, 'p50' | 'mad' | 'count'>): SpeedComparison {
  const latencyRatio = reference.p50 > 0 ? variant.p50 / reference.p50 : 1;
  const slower = variant.p50 >= reference.p50 ? variant : reference;
  const noise = slower.p50 > 0 ? (2 * (slower.mad ?? 0)) / slower.p50 : 0;
  const runs = Math.min(reference.count, variant.count);
  const comparison: SpeedComparison = { latencyRatio, noise, runs };
  if (runs < MIN_RUNS_FOR_SPEED_WORDS) return comparison;
  const word: SpeedWord = Math.abs(latencyRatio - 1) < noise || latencyRatio === 1 ? 'same speed' : latencyRatio < 1 ? 'faster' : 'slower';
  return { ...comparison, word };
}
