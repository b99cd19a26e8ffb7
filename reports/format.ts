/**
 * Numbers → text for both renderers. Nothing here prints "NaN": missing or non-finite values
 * are "—", PSNR ∞ is "∞". Changes since a baseline carry a trend so renderers can colour them.
 */
import { fromDecibels, type Decibels } from './decibels.js';
import type { Direction } from './verdict.js';
import type { SpeedComparison } from './metric-results.js';

export const DASH = '—';

/** About 4 significant digits, plain notation between 1e-3 and 1e6. */
export function num(n: number | undefined | null, digits = 4): string {
  if (n === undefined || n === null || Number.isNaN(n)) return DASH;
  if (n === Infinity) return '∞';
  if (n === -Infinity) return '−∞';
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1e6 || a < 1e-3) return n.toExponential(digits - 1).replace(/-/g, '−');
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
  return n.toFixed(decimals).replace(/^-/, '−');
}

export function db(d: Decibels | undefined): string {
  if (d === undefined) return DASH;
  if (d === 'inf') return '∞';
  if (d === '-inf') return '−∞';
  return `${d.toFixed(2)} dB`;
}

export const ms = (n: number | undefined): string => (n === undefined ? DASH : `${num(n, 3)} ms`);
export const percent = (fraction: number | undefined, digits = 3): string => (fraction === undefined ? DASH : `${num(fraction * 100, digits)} %`);
export const times = (ratio: number | undefined): string => (ratio === undefined || !Number.isFinite(ratio) ? DASH : `${ratio.toFixed(2)}×`);

export type Trend = 'better' | 'worse' | 'same';

export interface Delta {
  text: string;
  trend: Trend;
}

/**
 * Change since the baseline, e.g. "+1.20" (better when `direction` is min, i.e. higher is
 * better). Infinite values: ∞ → ∞ is "±0"; reaching or leaving ∞ is spelled out ("was 41.2").
 */
export function delta(current: number | Decibels | undefined, baseline: number | Decibels | undefined, direction: Direction, unit = ''): Delta | undefined {
  if (current === undefined || baseline === undefined) return undefined;
  const c = typeof current === 'number' ? current : fromDecibels(current);
  const b = typeof baseline === 'number' ? baseline : fromDecibels(baseline);
  if (Number.isNaN(c) || Number.isNaN(b)) return undefined;
  const sign = direction === 'min' ? 1 : -1;
  if (c === b) return { text: '±0', trend: 'same' };
  const trend: Trend = (c - b) * sign > 0 ? 'better' : 'worse';
  if (!Number.isFinite(c) || !Number.isFinite(b)) return { text: `was ${num(b)}`, trend };
  const d = c - b;
  const scale = Math.max(Math.abs(c), Math.abs(b));
  if (Math.abs(d) <= 1e-9 * scale) return { text: '±0', trend: 'same' };
  return { text: `${d > 0 ? '+' : '−'}${num(Math.abs(d), 3)}${unit}`, trend };
}

/**
 * A variant's speed against the reference, worded only where results.json says the evidence
 * allows (speed.word): "1.85× faster", "1.30× slower", "same speed (latency 0.98×, noise ±6.0 %)";
 * otherwise the numbers only: "latency 0.95× the reference's (12 runs: too few to tell)".
 * Results written before speed words existed (no `speed`) get the numbers only too.
 */
export function speedPhrase(speed: SpeedComparison | undefined, speedup: number): string {
  const ratio = speed?.latencyRatio ?? (speedup > 0 ? 1 / speedup : NaN);
  if (!Number.isFinite(ratio)) return '';
  switch (speed?.word) {
    case 'faster':
      return `${(1 / ratio).toFixed(2)}× faster`;
    case 'slower':
      return `${ratio.toFixed(2)}× slower`;
    case 'same speed':
      return `same speed (latency ${ratio.toFixed(2)}×, noise ±${(speed.noise * 100).toFixed(1)} %)`;
    default:
      return `latency ${ratio.toFixed(2)}× the reference's${speed ? ` (${speed.runs} runs: too few to tell)` : ''}`;
  }
}
