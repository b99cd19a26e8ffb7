/**
 * Summary statistics over plain arrays of numbers. Percentiles use mathjs's `quantileSeq`
 * (linear interpolation between closest ranks, numpy's default), so p50 of [1, 2, 3, 4] is 2.5.
 */
import { createRequire } from 'node:module';
import { InternalError } from '../core/errors.js';
import type { Summary } from '../../reports/metric-results.js';
export type { Summary };

type MathJs = typeof import('mathjs');
let mathjs: MathJs | undefined;
/** mathjs takes seconds to load (hundreds of modules): loaded on first use, not at every CLI start. */
const math = (): MathJs => (mathjs ??= createRequire(import.meta.url)('mathjs') as MathJs);

function nonEmpty(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new InternalError(`${what} of an empty list`);
  return values as number[];
}

export function mean(values: readonly number[]): number {
  return math().mean(nonEmpty(values, 'mean')) as number;
}

export function min(values: readonly number[]): number {
  let m = Infinity;
  for (const v of nonEmpty(values, 'min')) if (v < m) m = v;
  return m;
}

export function max(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of nonEmpty(values, 'max')) if (v > m) m = v;
  return m;
}

/** The p-th percentile, p in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new InternalError(`percentile ${p} outside [0, 100]`);
  return math().quantileSeq(nonEmpty(values, 'percentile'), p / 100) as number;
}

export function summarize(values: readonly number[]): Summary {
  return { count: values.length, mean: mean(values), min: min(values), p5: percentile(values, 5), max: max(values) };
}
