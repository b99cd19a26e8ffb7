import { quantizationErrors, type Histogram } from '../src/core/native.js';
import type { AmaxRule, AmaxRuleOptions } from './amax-rule.js';
import { Entropy2 } from './entropy2.js';
import { MinMax } from './minmax.js';
import { Mse } from './mse.js';
import { Percentile } from './percentile.js';

/** The single calibrators `auto` chooses among, per tensor, in tie-break order. */
export const AUTO_CANDIDATES = ['entropy2', 'minmax', 'percentile 99.9', 'percentile 99.99', 'percentile 99.999', 'mse'] as const;
export type AutoCandidate = (typeof AUTO_CANDIDATES)[number];

/**
 * How `run` checks `--calibrator auto` on its evaluation images: `evaluation` keeps the best on
 * the choosing images; `cross-fit` lets the calibration images (cross-fitted) decide among the
 * candidates those images cannot tell apart.
 */
export const CALIBRATOR_CHECKS = ['evaluation', 'cross-fit'] as const;
export type CalibratorCheck = (typeof CALIBRATOR_CHECKS)[number];

/** Linear bins the error is estimated on: fine enough that a range 1/100 of max |x| still spans ~160 bins. */
export const AUTO_ERROR_BINS = 16384;
/** How auto chooses, in words (calibration.json, CLI summary and report say it). */
export const AUTO_CRITERION = 'per tensor, the candidate range with the highest expected SQNR of symmetric int8 ' +
  'fake-quantization over the tensor\'s histogram (rounding + clipping error, no inference)';

/** One tensor's choice: the winning candidate and every candidate's amax and expected SQNR (dB). */
export interface AutoChoice {
  amax: number;
  chosen: AutoCandidate;
  candidates: { calibrator: AutoCandidate; amax: number; sqnrDb: number | 'inf' }[];
}

/** A candidate's rule, by its AUTO_CANDIDATES name ("percentile 99.99" → Percentile at 99.99). */
export function candidateRule(name: AutoCandidate): AmaxRule {
  const [rule, p] = name.split(' ');
  if (rule === 'percentile') return new Percentile({ percentile: Number(p) });
  return rule === 'entropy2' ? new Entropy2() : rule === 'minmax' ? new MinMax() : new Mse();
}

/**
 * `--calibrator auto`: every single calibrator's range is computed from the same histogram,
 * and the one whose int8 grid loses the least signal (highest SQNR = lowest expected squared
 * error, clipping included) wins. Deterministic: ties go to the earlier candidate.
 */
export class Auto implements AmaxRule {
  readonly name = 'auto';
  /** The cache header still says EntropyCalibration2 by default (trtexec's only accepted one). */
  readonly algorithm = 'EntropyCalibration2';
  readonly #candidates = AUTO_CANDIDATES.map((name) => [name, candidateRule(name)] as const);

  // The percentile option is for `--calibrator percentile`; auto tries its three fixed ones.
  constructor(_options?: AmaxRuleOptions) {}

  async computeAmax(histogram: Histogram): Promise<number> {
    return (await this.choose(histogram)).amax;
  }

  async choose(histogram: Histogram): Promise<AutoChoice> {
    const amaxes: number[] = [];
    for (const [, rule] of this.#candidates) amaxes.push(await rule.computeAmax(histogram));
    const { range } = histogram.stats();
    const { mse, meanSquare } = range > 0
      ? await quantizationErrors(histogram.linear(AUTO_ERROR_BINS, range), range, amaxes)
      : { mse: new Float64Array(amaxes.length), meanSquare: 0 };
    const candidates = this.#candidates.map(([name], i) => ({ calibrator: name, amax: amaxes[i]!, sqnrDb: sqnrDb(meanSquare, mse[i]!) }));
    let best = 0;
    for (let i = 1; i < candidates.length; i++) if (mse[i]! < mse[best]!) best = i;
    return { amax: amaxes[best]!, chosen: candidates[best]!.calibrator, candidates };
  }
}

/** 10·log10(signal / noise) to 0.01 dB; "inf" for no noise (JSON has no Infinity), 0 for an all-zero tensor. */
function sqnrDb(meanSquare: number, mse: number): number | 'inf' {
  if (meanSquare === 0) return 0;
  return mse === 0 ? 'inf' : Math.round(1000 * Math.log10(meanSquare / mse)) / 100;
}
