/**
 * Time of one EntropyCalibration2 threshold search on a 2048-bin histogram (a reference
 * histogram where every candidate is finite, i.e. the slowest case), measured on the calling
 * thread so worker scheduling is not counted.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeAmaxSync } from '../src/core/native.js';

export interface EntropyBenchResult {
  /** Mean wall time of one search, in milliseconds. */
  readonly msPerSearch: number;
  readonly runs: number;
  readonly histogram: string;
}

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/entropy-reference.json', import.meta.url));

export function benchEntropy(runs = 500, histogram = 'uniform'): EntropyBenchResult {
  const { histograms } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
    histograms: Array<{ name: string; amax: number; counts: number[] }>;
  };
  const golden = histograms.find((h) => h.name === histogram);
  if (!golden) throw new Error(`no reference histogram named ${histogram}`);
  const counts = Float64Array.from(golden.counts);
  for (let i = 0; i < 20; i++) computeAmaxSync(counts, golden.amax, 'entropy'); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) computeAmaxSync(counts, golden.amax, 'entropy');
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  return { msPerSearch: elapsed / runs, runs, histogram };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = benchEntropy();
  console.log(`entropy search (2048 bins, "${result.histogram}"): ${result.msPerSearch.toFixed(3)} ms per search, mean of ${result.runs}`);
}
