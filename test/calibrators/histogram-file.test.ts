import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  HISTOGRAM_FILE_MAGIC,
  HISTOGRAM_FILE_VERSION,
  type HistogramSet,
  decodeHistogramFile,
  encodeHistogramFile,
  readHistogramFile,
  writeHistogramFile,
} from '../../src/run/histogram-file.js';
import { Int8calError } from '../../src/core/errors.js';
import { Histogram, type HistogramMode } from '../../src/core/native.js';
import { random } from '../support/goldens.js';

function tensorValues(seed: number, count: number): Float32Array {
  const next = random(seed);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = (next() - 0.3) * (1 + 10 * next() ** 8);
  values[0] = NaN;
  values[1] = 0;
  return values;
}

/** Three tensors (names with spaces, colons and non-ASCII), accumulated in `batches` parts. */
async function makeSet(mode: HistogramMode, batches: number): Promise<HistogramSet> {
  const tensors = new Map<string, Histogram>();
  for (const [i, name] of ['input', 'conv 1:out', 'Relu_ü/0'].entries()) {
    const values = tensorValues(i + 1, 30_000);
    const h = new Histogram(mode);
    const size = Math.ceil(values.length / batches);
    for (let at = 0; at < values.length; at += size) await h.accumulate(values.subarray(at, at + size));
    tensors.set(name, h);
  }
  return { mode, linearBins: 2048, tensors };
}

function expectFileError(fn: () => unknown, code: string, file: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof Int8calError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.subject.file, file);
    assert.match(error.message, message);
    assert.ok(error.message.includes(file), 'the message names the file');
    return true;
  });
}

describe('histograms.bin codec', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'int8cal-histograms-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const mode of ['exact', 'trt'] as const) {
    it(`round-trips a ${mode} set through a file, byte for byte`, async () => {
      const set = await makeSet(mode, 1);
      const path = join(dir, `${mode}.bin`);
      await writeHistogramFile(path, set);
      const read = await readHistogramFile(path);
      assert.equal(read.mode, mode);
      assert.equal(read.linearBins, 2048);
      assert.deepEqual([...read.tensors.keys()], [...set.tensors.keys()]);
      for (const [name, h] of set.tensors) {
        assert.deepEqual(read.tensors.get(name)!.stats(), h.stats());
        assert.deepEqual(read.tensors.get(name)!.linear(), h.linear());
      }
      assert.deepEqual(encodeHistogramFile(read), new Uint8Array(await readFile(path)));
    });
  }

  it('is byte-identical for the same data, however it was batched', async () => {
    const a = encodeHistogramFile(await makeSet('exact', 1));
    const b = encodeHistogramFile(await makeSet('exact', 7));
    assert.deepEqual(a, b);
    assert.equal(Buffer.from(a.subarray(0, 8)).toString('latin1'), HISTOGRAM_FILE_MAGIC);
  });

  it('rejects truncated files, naming the file', async () => {
    const bytes = encodeHistogramFile(await makeSet('exact', 1));
    const headerEnd = 16 + Buffer.from(bytes).readUInt32LE(12);
    for (const length of [0, 5, 12, 16, 40, headerEnd, headerEnd + 3, bytes.length - 1]) {
      expectFileError(() => decodeHistogramFile(bytes.subarray(0, length), 'run/histograms.bin'), 'HISTOGRAM_FILE_CORRUPT', 'run/histograms.bin', /truncated/);
    }
    const path = join(dir, 'truncated.bin');
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    await assert.rejects(readHistogramFile(path), { code: 'HISTOGRAM_FILE_CORRUPT', message: /truncated/ });
  });

  it('rejects a wrong magic, trailing bytes and a damaged blob', async () => {
    const bytes = encodeHistogramFile(await makeSet('exact', 1));
    const wrong = bytes.slice();
    wrong[0] = 0x50;
    expectFileError(() => decodeHistogramFile(wrong, 'x.bin'), 'HISTOGRAM_FILE_CORRUPT', 'x.bin', /wrong magic/);
    const longer = new Uint8Array(bytes.length + 2);
    longer.set(bytes);
    expectFileError(() => decodeHistogramFile(longer, 'x.bin'), 'HISTOGRAM_FILE_CORRUPT', 'x.bin', /unexpected bytes/);
    const damaged = bytes.slice();
    damaged[damaged.length - 5] ^= 0x10; // inside the last tensor's counts
    assert.throws(() => decodeHistogramFile(damaged, 'x.bin'), (error: unknown) => {
      assert.ok(error instanceof Int8calError);
      assert.equal(error.code, 'HISTOGRAM_FILE_CORRUPT');
      assert.equal(error.subject.tensor, 'Relu_ü/0');
      return true;
    });
  });

  it('rejects a newer format version with "upgrade"', async () => {
    const bytes = encodeHistogramFile(await makeSet('trt', 1));
    const newer = Buffer.from(bytes);
    newer.writeUInt32LE(HISTOGRAM_FILE_VERSION + 1, 8);
    expectFileError(() => decodeHistogramFile(newer, 'new.bin'), 'HISTOGRAM_FILE_VERSION', 'new.bin', /written by a newer int8cal/);
    assert.throws(() => decodeHistogramFile(newer, 'new.bin'), (error: unknown) => {
      assert.match((error as Int8calError).subject.hint ?? '', /upgrade/);
      return true;
    });
  });

  it('rejects a header that disagrees with the histograms', async () => {
    const bytes = Buffer.from(encodeHistogramFile(await makeSet('exact', 1)));
    const length = bytes.readUInt32LE(12);
    const header = bytes.toString('utf8', 16, 16 + length).replace('"count":30000', '"count":30001');
    const edited = Buffer.concat([bytes.subarray(0, 16), Buffer.from(header), bytes.subarray(16 + length)]);
    edited.writeUInt32LE(Buffer.byteLength(header), 12);
    expectFileError(() => decodeHistogramFile(edited, 'h.bin'), 'HISTOGRAM_FILE_CORRUPT', 'h.bin', /does not match the stats/);
  });

  it('reports a missing file', async () => {
    await assert.rejects(readHistogramFile(join(dir, 'nope.bin')), { code: 'HISTOGRAM_FILE_MISSING' });
  });

  it('refuses to mix modes in one file', async () => {
    const set = await makeSet('exact', 1);
    const tensors = new Map(set.tensors).set('odd', new Histogram('trt'));
    assert.throws(() => encodeHistogramFile({ ...set, tensors }), { code: 'HISTOGRAM_MODE_MISMATCH' });
  });
});
