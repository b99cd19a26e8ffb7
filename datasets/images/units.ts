/**
 * The preprocessing units check. Each value is `(pixel · scale − mean) / std`: mean and std are
 * in the units of `pixel · scale`. Given in other units (`--mean 127 --std 128` with the default
 * 1/255 scale), calibration would see inputs squeezed into [−0.99, −0.98], pick garbage scales
 * and "succeed". So values that make no sense for the scaled pixel range are a usage error that
 * names the fix.
 */
import { Int8calError } from '../../src/core/errors.js';

/** The fields of a preprocessing spec the check reads (structural: no import back into preprocessing.ts). */
interface Preprocessing {
  preset: string;
  channels: number;
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

/**
 * The scaled pixels span [0, R], R = 255 · scale. Refused: a mean outside [0, R] (every value
 * on one side of it); a std above 2R (the whole pixel range squeezed below half a unit); means in
 * [0, 1] with stds below 1 while R > 2 (ImageNet's [0, 1]-unit values on 0–255 pixels).
 */
export function checkUnits(p: Preprocessing, input: string, presetScale: number): void {
  const range = 255 * p.scale;
  const used = p.channels === 1 ? [0] : [0, 1, 2];
  const means = used.map((c) => p.mean[c]!);
  const stds = used.map((c) => Math.abs(p.std[c]!));
  const meanOutside = means.find((m) => m < 0 || m > range * (1 + 1e-6));
  const stdTooWide = stds.find((s) => s > 2 * range);
  const unitValuesOnRawPixels = range > 2 && means.some((m) => m > 0) && means.every((m) => m >= 0 && m <= 1) && stds.every((s) => s < 1);
  if (meanOutside === undefined && stdTooWide === undefined && !unitValuesOnRawPixels) return;

  const scaleText = `${describeScale(p, presetScale)} (pixel · scale in [0, ${round(range)}])`;
  const reason = meanOutside !== undefined
    ? `mean ${round(meanOutside)} lies outside that range`
    : stdTooWide !== undefined
      ? `std ${round(stdTooWide)} is more than twice that range`
      : 'they look like values for pixels in [0, 1]';
  const [lo, hi] = valueRange(p, used);
  throw new Int8calError('PREPROCESSING_UNITS',
    `Input "${input}": mean ${list(means)} and std ${list(stds)} do not fit ${scaleText}: ${reason}, so every input value would be in [${round(lo)}, ${round(hi)}]`,
    { tensor: input, hint: fixFor(p, means, stds, unitValuesOnRawPixels) });
}

/** The flag that makes these mean/std values consistent, when one scale does. */
function fixFor(p: Preprocessing, means: number[], stds: number[], unitValues: boolean): string {
  const fitsRange = (range: number): boolean => means.every((m) => m >= 0 && m <= range) && stds.every((s) => s <= 2 * range);
  if (unitValues) return 'they are in [0, 1] units: add --scale 1/255 (or give them in 0–255 units, e.g. --mean 123.675,116.28,103.53 --std 58.395,57.12,57.375)';
  if (p.scale !== 1 && fitsRange(255)) {
    const rescaled = (t: number[]): string => list(t.map((v) => v * p.scale));
    return `they look like 0–255 pixel units: add --scale 1 (or give them in [0, ${round(255 * p.scale)}] units: --mean ${rescaled(means)} --std ${rescaled(stds)})`;
  }
  return `give --mean within [0, ${round(255 * p.scale)}] and --std in the same units as pixel · scale, or change --scale`;
}

function describeScale(p: Preprocessing, presetScale: number): string {
  const inverse = 1 / p.scale;
  const shown = Math.abs(inverse - Math.round(inverse)) < 1e-6 && inverse > 1 ? `1/${Math.round(inverse)}` : `${round(p.scale)}`;
  return presetScale === p.scale ? `the ${p.preset} preset's scale ${shown}` : `--scale ${shown}`;
}

/** The smallest and largest value any colour channel can take. */
function valueRange(p: Preprocessing, used: number[]): [number, number] {
  const ends = used.flatMap((c) => [0, 255 * p.scale].map((x) => (x - p.mean[c]!) / p.std[c]!));
  return [Math.min(...ends), Math.max(...ends)];
}

const list = (values: number[]): string => (values.every((v) => v === values[0]) ? `${round(values[0]!)}` : values.map(round).join(','));

function round(n: number): number {
  return Number(n.toPrecision(3));
}
