/** Pass/fail against a threshold: metric results carry value, threshold and verdict together. */
export type Verdict = 'pass' | 'fail';

/** `min`: higher is better, pass when value ≥ threshold (PSNR, cosine, F1). `max`: pass when value ≤ threshold (PD, |Δ|). */
export type Direction = 'min' | 'max';

export function judge(value: number, threshold: number, direction: Direction): Verdict {
  if (Number.isNaN(value)) return 'fail';
  return direction === 'min' ? (value >= threshold ? 'pass' : 'fail') : (value <= threshold ? 'pass' : 'fail');
}

/** `{threshold, verdict}` when a threshold is given, `{}` otherwise (so results carry no verdict without one). */
export function checked(value: number, threshold: number | undefined, direction: Direction): { threshold?: number; verdict?: Verdict } {
  return threshold === undefined ? {} : { threshold, verdict: judge(value, threshold, direction) };
}

