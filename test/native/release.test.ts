import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releaseArrays } from '../../src/core/native.js';

test('releaseArrays frees whole-buffer arrays at once and leaves views of part of a buffer alone', () => {
  const whole = new Float32Array(1024).fill(1);
  const shared = new Float32Array(1024);
  const part = shared.subarray(0, 512);
  assert.equal(releaseArrays([whole, part]), 4096);
  assert.equal(whole.length, 0, 'detached: every view is empty');
  assert.equal(whole.buffer.byteLength, 0);
  assert.equal(part.length, 512);
  assert.equal(shared.length, 1024);
  assert.equal(releaseArrays([whole]), 0, 'already released');
  assert.throws(() => releaseArrays([1 as unknown as Float32Array]), /must be a typed array/);
});
