import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeAmax, computeAmaxSync } from '../../src/core/native.js';
import { loadGoldens } from '../support/goldens.js';

const goldens = loadGoldens();

describe('thresholds on the reference histograms (test/fixtures/entropy-reference.json)', () => {
  for (const golden of goldens) {
    it(golden.name, async () => {
      const counts = Float64Array.from(golden.counts);
      const w = golden.amax / counts.length;
      const entropy = await computeAmax(counts, golden.amax, 'entropy');
      assert.equal(entropy.bin, golden.expected.entropy_bins_kept, 'entropy bins kept');
      assert.ok(Math.abs(entropy.amax - golden.expected.entropy_amax) <= 1e-12 * golden.amax, 'entropy amax');

      for (const p of [99.99, 99.9] as const) {
        const got = await computeAmax(counts, golden.amax, 'percentile', p);
        const want = golden.expected[`percentile_${p}_amax`];
        assert.ok(Math.abs(got.amax - want) <= w * (1 + 1e-9), `percentile ${p}: ${got.amax} vs ${want}`);
      }
      const mse = await computeAmax(counts, golden.amax, 'mse');
      assert.ok(Math.abs(mse.amax - golden.expected.mse_amax) <= w * (1 + 1e-9), `mse: ${mse.amax} vs ${golden.expected.mse_amax}`);
      assert.equal(mse.amax, (mse.bin + 0.5) * w);
    });
  }

  it('the sync variant gives the same results', async () => {
    const golden = goldens.find((g) => g.name === 'laplace')!;
    const counts = Float64Array.from(golden.counts);
    for (const [method, param] of [['entropy', undefined], ['percentile', 99.99], ['mse', undefined]] as const) {
      assert.deepEqual(computeAmaxSync(counts, golden.amax, method, param), await computeAmax(counts, golden.amax, method, param));
    }
  });
});

describe('threshold edge cases', () => {
  it('an all-zero histogram gives amax 0 for every method', async () => {
    const counts = new Float64Array(2048);
    counts[0] = 1000;
    for (const [method, param] of [['entropy', undefined], ['percentile', 99.9], ['mse', undefined]] as const) {
      assert.equal((await computeAmax(counts, 0, method, param)).amax, 0, method);
    }
    assert.equal((await computeAmax(new Float64Array(2048), 0, 'entropy')).amax, 0, 'empty histogram');
  });

  it('entropy keeps every bin when the histogram is flat', async () => {
    const counts = new Float64Array(2048).fill(10);
    assert.deepEqual(await computeAmax(counts, 2, 'entropy'), { amax: 2, bin: 2048 });
  });

  it('percentile 100 reaches the last non-empty bin', async () => {
    const counts = new Float64Array(256);
    counts[10] = 5;
    counts[200] = 1;
    assert.equal((await computeAmax(counts, 256, 'percentile', 100)).bin, 200);
  });
});

describe('threshold argument validation', () => {
  const counts = new Float64Array(2048).fill(1);
  it('names the parameter, the expectation and what was received', () => {
    assert.throws(() => computeAmax([1, 2] as unknown as Float64Array, 1, 'entropy'), {
      code: 'INVALID_PARAMETER',
      message: 'Expected a Float64Array for counts but received 1,2 of type object',
    });
    assert.throws(() => computeAmax(counts, -1, 'entropy'), {
      message: 'Expected a finite number >= 0 for amax but received -1 of type number',
    });
    assert.throws(() => computeAmax(counts, 1, 'kl' as 'entropy'), {
      message: 'Expected one of "entropy", "percentile", "mse" for method but received "kl" of type string',
    });
    assert.throws(() => computeAmax(counts, 1, 'percentile'), {
      message: 'Expected a number in (0, 100] for percentile but received undefined of type undefined',
    });
    assert.throws(() => computeAmax(counts, 1, 'percentile', 101), { code: 'INVALID_PARAMETER' });
    assert.throws(() => computeAmax(new Float64Array(100), 1, 'entropy'), {
      message: 'Expected a Float64Array of at least 128 bins for entropy for counts but received "length 100" of type string',
    });
    const bad = new Float64Array(2048);
    bad[7] = NaN;
    assert.throws(() => computeAmaxSync(bad, 1, 'mse'), {
      message: 'Expected a finite count >= 0 for counts[7] but received NaN of type number',
    });
  });
});
