import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from './paths.js';

/** One histogram of test/fixtures/entropy-reference.json with NVIDIA's reference thresholds. */
export interface GoldenHistogram {
  name: string;
  source: string;
  amax: number;
  counts: number[];
  expected: {
    entropy_bins_kept: number;
    entropy_amax: number;
    'percentile_99.99_amax': number;
    'percentile_99.9_amax': number;
    mse_amax: number;
  };
}

export function loadGoldens(): GoldenHistogram[] {
  const file = join(fixturesDir, 'entropy-reference.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { histograms: GoldenHistogram[] }).histograms;
}

/** Deterministic PRNG (mulberry32): numbers in [0, 1). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}
export function float32FromBits(bits: number): number {
  u32[0] = bits;
  return f32[0]!;
}

/** Lower edge of the exact histogram's sub-bin `key` (float32 bits >> 11). */
const subBinLo = (key: number): number => float32FromBits(key * 2048);

/** The union of whole exact-histogram sub-bins inside [lo, hi]: [first edge >= lo, last edge <= hi]. */
export function subBinInterior(lo: number, hi: number): [number, number] {
  let a = float32Bits(Math.fround(lo)) >>> 11;
  while (subBinLo(a) < lo) a++;
  while (a > 0 && subBinLo(a - 1) >= lo) a--;
  let b = float32Bits(Math.fround(hi)) >>> 11;
  while (subBinLo(b) > hi) b--;
  while (subBinLo(b + 1) <= hi) b++;
  return [subBinLo(a), subBinLo(b)];
}

/**
 * Yields batches of float32 samples consistent with a linear histogram over [0, amax]: for
 * each bin k, counts[k] values uniform in [k·w, (k+1)·w) (or, with `interior`, uniform over
 * the whole exact-histogram sub-bins that lie inside that bin), random signs.
 */
export function* samplesFor(golden: GoldenHistogram, batchSize: number, interior = false): Generator<Float32Array> {
  const next = random(seedOf(golden.name));
  const w = golden.amax / golden.counts.length;
  let batch = new Float32Array(batchSize);
  let used = 0;
  for (let k = 0; k < golden.counts.length; k++) {
    const count = golden.counts[k]!;
    if (count === 0) continue;
    const [lo, hi] = interior ? subBinInterior(k * w, (k + 1) * w) : [k * w, (k + 1) * w];
    const below = float32FromBits(float32Bits(Math.fround(hi)) - 1); // largest float32 < hi (hi > 0)
    for (let j = 0; j < count; j++) {
      let x = Math.fround(lo + next() * (hi - lo));
      if (x >= hi) x = below;
      if (x < lo) x = Math.fround(lo) >= lo ? Math.fround(lo) : float32FromBits(float32Bits(Math.fround(lo)) + 1);
      batch[used++] = next() < 0.5 ? -x : x;
      if (used === batchSize) {
        yield batch;
        batch = new Float32Array(batchSize);
        used = 0;
      }
    }
  }
  if (used > 0) yield batch.subarray(0, used);
}
