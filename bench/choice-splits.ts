import { pooledPsnr as pooledDb } from '../src/metrics/psnr.js';
import { parseAccuracyTarget } from '../src/pipeline/tune/accuracy-target.js';
import { tiedWithBest } from '../src/pipeline/tune/confirm-calibrator.js';
/**
 * How well a calibrator choice made on a few evaluation photos holds on the others, averaged
 * over every way of splitting the photos (bench/tune). One split's "auto − best single" is
 * mostly which photos landed where: with 3–4 judged photos the best single calibrator itself
 * changes from split to split. Inputs are each candidate's worst-output PSNR per photo (dB).
 */


export interface SplitSummary {
  photos: number;
  chooseOn: number;
  splits: number;
  /** Mean over splits of (choice's pooled PSNR on the judged photos − the best single's there). */
  regret: { check: number; perTensor: number; crossFit?: number; crossFitAndCheck?: number; tiedThenCrossFit?: number };
  /** The calibrator fixed in hindsight (best mean over splits) and its mean regret: the floor any fixed choice can reach. */
  floor: { calibrator: string; regret: number };
  /** How often each single calibrator was the best on the judged photos. */
  bestOnJudged: Record<string, number>;
}

/** Every k-subset of 0..n-1 when there are at most `max`, else `max` of them drawn by a fixed LCG (deterministic). */
export function splits(n: number, k: number, max = 200): number[][] {
  const all: number[][] = [];
  const walk = (start: number, chosen: number[]): void => {
    if (all.length > max) return;
    if (chosen.length === k) { all.push(chosen); return; }
    for (let i = start; i < n; i++) walk(i + 1, [...chosen, i]);
  };
  walk(0, []);
  if (all.length <= max) return all;
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: max }, () => {
    const order = [...Array(n).keys()];
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(next() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
    return order.slice(0, k).sort((a, b) => a - b);
  });
}

/**
 * `photos`: candidate → PSNR per evaluation photo; the first key is the per-tensor choice, the
 * rest are the single calibrators. `calibration` (optional): candidate → PSNR per calibration
 * image, cross-fitted. The check picks by pooled PSNR on the k choosing photos, like run's.
 */
export function splitSummary(photos: ReadonlyMap<string, readonly number[]>, k: number, calibration?: ReadonlyMap<string, readonly number[]>): SplitSummary {
  const names = [...photos.keys()];
  const singles = names.slice(1);
  const n = photos.get(names[0]!)!.length;
  const pick = (score: (name: string) => number) => names.reduce((best, name) => (score(name) > score(best) ? name : best));
  const sets = splits(n, k);
  const sum = { check: 0, perTensor: 0, crossFit: 0, crossFitAndCheck: 0, tiedThenCrossFit: 0 };
  const psnrTarget = parseAccuracyTarget('psnr>=30');
  const fixed = new Map(names.map((name) => [name, 0]));
  const bestOnJudged: Record<string, number> = {};
  const crossFitPick = calibration && pick((name) => pooledDb(calibration.get(name)!));
  for (const chosen of sets) {
    const judged = [...Array(n).keys()].filter((i) => !chosen.includes(i));
    const on = (name: string, images: readonly number[]) => images.map((i) => photos.get(name)![i]!);
    const held = (name: string) => pooledDb(on(name, judged));
    const best = singles.reduce((b, name) => (held(name) > held(b) ? name : b));
    bestOnJudged[best] = (bestOnJudged[best] ?? 0) + 1;
    const regret = (name: string) => held(name) - held(best);
    sum.check += regret(pick((name) => pooledDb(on(name, chosen))));
    sum.perTensor += regret(names[0]!);
    if (calibration) {
      sum.crossFit += regret(crossFitPick!);
      const both = (name: string) => pooledDb([...calibration.get(name)!, ...on(name, chosen)]);
      sum.crossFitAndCheck += regret(pick(both));
      // run --calibrator-check cross-fit: the candidates the k photos can't tell from their best, decided by both.
      const entries = names.map((name) => ({ name, metrics: { psnr: pooledDb(on(name, chosen)) }, psnrPerImage: on(name, chosen) }));
      const tied = tiedWithBest(entries, entries.reduce((b, e) => (e.metrics.psnr > b.metrics.psnr ? e : b)), psnrTarget);
      sum.tiedThenCrossFit += regret(tied.reduce((b, e) => (both(e.name) > both(b.name) ? e : b)).name);
    }
    for (const name of names) fixed.set(name, fixed.get(name)! + regret(name));
  }
  const mean = (v: number) => v / sets.length;
  const [floorName, floorSum] = [...fixed].reduce((b, e) => (e[1] > b[1] ? e : b));
  return {
    photos: n, chooseOn: k, splits: sets.length, bestOnJudged, floor: { calibrator: floorName, regret: mean(floorSum) },
    regret: { check: mean(sum.check), perTensor: mean(sum.perTensor), ...(calibration ? { crossFit: mean(sum.crossFit), crossFitAndCheck: mean(sum.crossFitAndCheck), tiedThenCrossFit: mean(sum.tiedThenCrossFit) } : {}) },
  };
}
