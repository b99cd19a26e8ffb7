/** Speed words need evidence: the rule on latency samples shaped like real runs, and every place that words it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSpeed, latencyStats, MIN_RUNS_FOR_SPEED_WORDS } from '../../src/metrics/index.js';
import { speedPhrase } from '../../reports/format.js';
import { renderHtml, renderMarkdown } from '../../reports/index.js';
import { summary } from '../../src/cli/evaluate.js';
import { resultsFixture } from '../reports/fixture.js';

/**
 * n timings around `p50` ms: a seeded spread of ±`jitter` (relative) plus two slow outliers,
 * as ONNX Runtime on a shared CPU gives them.
 */
function runs(n: number, p50: number, jitter: number, seed = 1): number[] {
  let s = seed;
  const next = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const out = Array.from({ length: n }, () => p50 * (1 + jitter * next()));
  out[3] = p50 * 1.8;
  out[n - 2] = p50 * 2.5;
  return out;
}
const WORD = /faster|slower|same speed/;

describe('compareSpeed', () => {
  it('calls a difference under twice the slower variant\'s relative MAD "same speed"', () => {
    const fp32 = latencyStats(runs(25, 10, 0.08));
    const close = latencyStats(runs(25, 9.6, 0.08, 7));
    const speed = compareSpeed(fp32, close);
    assert.ok(Math.abs(speed.latencyRatio - 1) < speed.noise, JSON.stringify(speed));
    assert.equal(speed.word, 'same speed');
    assert.equal(speed.runs, 25);
    assert.match(speedPhrase(speed, 1 / speed.latencyRatio), /^same speed \(latency 0\.9\d×, noise ±\d+\.\d %\)$/);
  });

  it('says faster / slower beyond the noise', () => {
    const fp32 = latencyStats(runs(25, 10, 0.05));
    const half = compareSpeed(fp32, latencyStats(runs(25, 5, 0.05, 3)));
    assert.equal(half.word, 'faster');
    assert.equal(speedPhrase(half, 2), `${(1 / half.latencyRatio).toFixed(2)}× faster`);
    const slow = compareSpeed(fp32, latencyStats(runs(25, 13, 0.05, 5)));
    assert.equal(slow.word, 'slower');
    assert.match(speedPhrase(slow, 1 / slow.latencyRatio), /^1\.\d\d× slower$/);
  });

  it('takes the noise of the slower variant, not the quieter one', () => {
    const quiet = latencyStats(runs(30, 10, 0.01));
    const noisy = latencyStats(runs(30, 11, 0.4, 9));
    const speed = compareSpeed(quiet, noisy);
    assert.ok(speed.latencyRatio > 1.05, `ratio ${speed.latencyRatio}`);
    assert.equal(speed.noise, (2 * noisy.mad!) / noisy.p50);
    assert.equal(speed.word, 'same speed', 'a 10 % gap inside a ±40 % spread is not "slower"');
    assert.equal(compareSpeed(quiet, latencyStats(runs(30, 11, 0.01, 9))).word, 'slower');
  });

  it('gives no word with fewer than 20 runs, only the numbers', () => {
    assert.equal(MIN_RUNS_FOR_SPEED_WORDS, 20);
    const speed = compareSpeed(latencyStats(runs(19, 10, 0.01)), latencyStats(runs(19, 2, 0.01, 2)));
    assert.equal(speed.word, undefined);
    assert.equal(speed.runs, 19);
    const phrase = speedPhrase(speed, 1 / speed.latencyRatio);
    assert.doesNotMatch(phrase, WORD);
    assert.match(phrase, /^latency 0\.20× the reference's \(19 runs: too few to tell\)$/);
  });
});

describe('speed words in the CLI, results.json, HTML and Markdown', () => {
  it('appear only where results.json holds the evidence for them', async () => {
    const results = await resultsFixture();
    const fp32 = results.variants.find((v) => v.name === 'fp32')!;
    for (const v of results.variants) {
      if (v.name === 'fp32') continue;
      v.verdict.speed = compareSpeed(fp32.latency, v.latency);
    }
    const few = results.variants.find((v) => v.name === 'int8-ort')!;
    few.verdict.speed = compareSpeed({ ...fp32.latency, count: 10 }, { ...few.latency, count: 10 });
    assert.equal(JSON.parse(JSON.stringify(results)).variants.find((v: { name: string }) => v.name === 'int8').verdict.speed.word, 'faster');
    for (const [where, text] of [['cli', summary(results)], ['markdown', renderMarkdown(results)], ['html', renderHtml(results)]] as const) {
      // One piece per variant line / HTML block / table row.
      const fewLines = text.split(/\n|<div|<tr/).filter((l) => l.includes('int8-ort') && /×/.test(l));
      assert.ok(fewLines.length > 0, `${where}: int8-ort's speed shown`);
      for (const line of fewLines) assert.doesNotMatch(line, WORD, `${where}: ${line}`);
      assert.ok(text.includes('too few to tell'), `${where} says why there is no word`);
      assert.ok(/\d\.\d\d× faster/.test(text), `${where} words int8 (20 runs, far beyond noise)`);
    }
  });
});
