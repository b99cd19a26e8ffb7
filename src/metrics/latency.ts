/**
 * Latency statistics and interleaved timing. Variants are timed round-robin (a, b, c, a, b,
 * c, …, the starting variant rotating every round) rather than one after the other, so a
 * thermal or background-load drift affects every variant alike.
 */
import { performance } from 'node:perf_hooks';
import { invalidParameter } from '../core/errors.js';
import { max, mean, min, percentile } from './stats.js';
import type { LatencyStats } from '../../reports/metric-results.js';
export type { LatencyStats };

/** Stats from run times in milliseconds; `imagesPerRun` is the batch size of each run. */
export function latencyStats(ms: readonly number[], imagesPerRun = 1): LatencyStats {
  if (ms.length === 0) throw invalidParameter('latency samples', 'at least one timing', '[]');
  if (ms.some((t) => !(t >= 0) || !Number.isFinite(t))) throw invalidParameter('latency samples', 'finite non-negative milliseconds', ms.find((t) => !(t >= 0) || !Number.isFinite(t)));
  const avg = mean(ms);
  const p50 = percentile(ms, 50);
  return {
    count: ms.length,
    mean: avg,
    min: min(ms),
    p50,
    p90: percentile(ms, 90),
    p99: percentile(ms, 99),
    max: max(ms),
    mad: percentile(ms.map((t) => Math.abs(t - p50)), 50),
    imagesPerSecond: avg > 0 ? (imagesPerRun * 1000) / avg : 0,
  };
}

export interface TimedVariant {
  name: string;
  /** One inference (feeds prepared beforehand: only the run is timed). */
  run: () => Promise<unknown>;
}

export interface TimingOptions {
  iterations: number;
  /** Untimed runs per variant first (also interleaved). */
  warmup: number;
  /** Clock in ms (tests inject a fake one). */
  now?: () => number;
}

/** Times each variant `iterations` times, interleaved; returns ms per run, keyed by variant name. */
export async function interleavedTiming(variants: readonly TimedVariant[], options: TimingOptions): Promise<Record<string, number[]>> {
  const { iterations, warmup } = options;
  if (!Number.isInteger(iterations) || iterations < 1) throw invalidParameter('iterations', 'a positive integer', iterations);
  if (!Number.isInteger(warmup) || warmup < 0) throw invalidParameter('warmup', 'a non-negative integer', warmup);
  const names = new Set(variants.map((v) => v.name));
  if (names.size !== variants.length) throw invalidParameter('variants', 'distinct names', variants.map((v) => v.name).join(','));
  const now = options.now ?? (() => performance.now());
  const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < warmup + iterations; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length]!;
      const start = now();
      await v.run();
      const elapsed = now() - start;
      if (round >= warmup) times[v.name]!.push(elapsed);
    }
  }
  return times;
}
