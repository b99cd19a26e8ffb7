import test from 'node:test';
import assert from 'node:assert/strict';
import { formatCache, hexToScale, parseCache, scaleToHex } from '../../calibrators/cache.js';
import { Int8calError } from '../../src/core/errors.js';

test('3c010204 is the scale 1/127 (amax 1.0), both ways', () => {
  assert.equal(scaleToHex(Math.fround(1 / 127)), '3c010204');
  assert.equal(hexToScale('3c010204'), Math.fround(1 / 127));
  assert.equal(Math.round(hexToScale('3c010204') * 127 * 1e6) / 1e6, 1);
});

test('a cache round-trips exactly, names with spaces, brackets and colons included', () => {
  const scales = new Map([
    ['input:0', Math.fround(0.0123)],
    ['(Unnamed Layer* 64) [Shuffle]_output', Math.fround(3.5 / 127)],
    ['a: b', Math.fround(1e-8)],
  ]);
  const text = formatCache({ trtVersion: 101601, algorithm: 'EntropyCalibration2', scales });
  assert.match(text, /^TRT-101601-EntropyCalibration2\n/);
  const parsed = parseCache(text);
  assert.equal(parsed.trtVersion, 101601);
  assert.equal(parsed.algorithm, 'EntropyCalibration2');
  assert.deepEqual([...parsed.scales], [...scales]);
  assert.equal(formatCache(parsed), text);
});

test('caches written by TensorRT parse: unpadded hex, 0 for a zero scale, CRLF, trailing spaces', () => {
  const text = 'TRT-8601-EntropyCalibration2\r\ninput:0: 3c010204\r\n(Unnamed Layer* 64) [Shuffle]_output: 0 \r\nconv1: 3f800000\r\n\r\n';
  const parsed = parseCache(text);
  assert.equal(parsed.trtVersion, 8601);
  assert.equal(parsed.scales.get('input:0'), Math.fround(1 / 127));
  assert.equal(parsed.scales.get('(Unnamed Layer* 64) [Shuffle]_output'), 0);
  assert.equal(parsed.scales.get('conv1'), 1);
  assert.equal(parsed.scales.size, 3);
});

test('garbage is rejected with its line number', () => {
  const cases: [string, RegExp][] = [
    ['not a cache\nx: 3c010204\n', /:1: expected a header/],
    ['TRT-101601-EntropyCalibration2\nx: 3c010204\nno separator here\n', /:3: expected "tensor: hexscale"/],
    ['TRT-101601-EntropyCalibration2\nx: 3c01020g\n', /:2: scale of x is not 1–8 hex digits/],
    ['TRT-101601-EntropyCalibration2\nx: 3c0102040\n', /:2: scale of x/],
    ['TRT-101601-EntropyCalibration2\nx: 1\nx: 2\n', /:3: tensor x appears twice/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseCache(text, 'my.cache'), (error: unknown) => {
      assert.ok(error instanceof Int8calError);
      assert.match(error.message, /^my\.cache:/);
      assert.match(error.message, message);
      return true;
    });
  }
});
