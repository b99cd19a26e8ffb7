import test from 'node:test';
import assert from 'node:assert/strict';
import { defaultAccuracyTarget, meetsTarget, parseAccuracyTarget } from '../../../src/pipeline/tune/accuracy-target.js';
import { Int8calError } from '../../../src/core/errors.js';

test('--accuracy-target: pass conditions joined by ",", >= and <=, every one must hold', () => {
  const target = parseAccuracyTarget(' psnr>=30 , pd<=2.5,F1>=0.95 ');
  assert.deepEqual(target.conditions, [
    { metric: 'psnr', op: '>=', value: 30 }, { metric: 'pd', op: '<=', value: 2.5 }, { metric: 'f1', op: '>=', value: 0.95 },
  ]);
  assert.equal(target.expression, 'psnr>=30,pd<=2.5,F1>=0.95');
  assert.equal(meetsTarget({ psnr: 31, pd: 2, f1: 0.96 }, target), true);
  assert.equal(meetsTarget({ psnr: 31, pd: 3, f1: 0.96 }, target), false);
  assert.equal(meetsTarget({ psnr: 31, f1: 0.96 }, target), false, 'an unmeasured metric fails its condition');
  assert.equal(meetsTarget({ psnr: Infinity, pd: 0, f1: 1 }, target), true);
});

test('--accuracy-target: failure-style gates, unknown metrics and junk are user errors with a hint', () => {
  for (const bad of ['', 'psnr<30', 'psnr>30', 'snr>=3', 'psnr>=', 'psnr>=30;pd<=2']) {
    assert.throws(() => parseAccuracyTarget(bad), (e: unknown) => e instanceof Int8calError && e.code === 'BAD_ACCURACY_TARGET' && /e\.g\. "psnr>=30"/.test(e.subject.hint ?? ''), bad);
  }
});

test('default targets per task', () => {
  assert.equal(defaultAccuracyTarget('detection').expression, 'f1>=0.95');
  assert.equal(defaultAccuracyTarget('classification').expression, 'top1>=0.99');
  assert.equal(defaultAccuracyTarget('map').expression, 'psnr>=30');
  assert.match(defaultAccuracyTarget('map').source, /default for task map/);
});
