import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Int8calError } from '../../../src/core/errors.js';
import type { ProgressEvent } from '../../../src/core/progress.js';
import { readBatches, type ImageBatch, type ReadBatchesOptions } from '../../../datasets/images/index.js';
import { at, solid, spec, tempDir, truncatedJpeg } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
/** img-00.png … img-09.png, image i a solid grey of value 20·i. */
let files: string[];
const p = spec(6, 4, { preset: 'raw' });

before(async () => {
  ({ dir, cleanup } = await tempDir());
  files = await Promise.all(Array.from({ length: 10 }, (_, i) => solid(join(dir, `img-0${i}.png`), 12, 8, [20 * i, 20 * i, 20 * i])));
});
after(() => cleanup());

async function collect(list: readonly string[], options: ReadBatchesOptions): Promise<ImageBatch[]> {
  const batches: ImageBatch[] = [];
  for await (const batch of readBatches(list, p, options)) batches.push(batch);
  return batches;
}
/** The grey level of image n of a batch (its images are solid). */
const grey = (batch: ImageBatch, n: number): number => at(batch.data, p, 1, 2, 3, n);

describe('readBatches', () => {
  it('makes full batches and a smaller last one, in file order', async () => {
    const batches = await collect(files, { batchSize: 4 });
    assert.deepEqual(batches.map((b) => b.dims), [[4, 3, 4, 6], [4, 3, 4, 6], [2, 3, 4, 6]]);
    assert.deepEqual(batches.map((b) => b.data.length), [4 * 72, 4 * 72, 2 * 72]);
    assert.deepEqual(batches.flatMap((b) => b.files), files);
    assert.deepEqual(batches.flatMap((b) => b.files.map((_, n) => grey(b, n))), files.map((_, i) => 20 * i));
    assert.ok(batches.every((b) => b.geometry.length === b.files.length && b.skipped.length === 0));
    assert.deepEqual(batches[0]!.geometry[0], {
      srcWidth: 12, srcHeight: 8, resizedWidth: 6, resizedHeight: 4, scale: 0.5, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0,
    });
  });

  it('gives the same batches whatever the concurrency', async () => {
    const one = await collect(files, { batchSize: 3, concurrency: 1 });
    const many = await collect(files, { batchSize: 3, concurrency: 8 });
    assert.deepEqual(many.map((b) => b.files), one.map((b) => b.files));
    assert.deepEqual(many.map((b) => [...b.data]), one.map((b) => [...b.data]));
  });

  it('reports progress per image', async () => {
    const events: ProgressEvent[] = [];
    await collect(files.slice(0, 3), { batchSize: 2, onProgress: (e) => events.push(e), stage: 'calibrate' });
    assert.deepEqual(events.map((e) => [e.stage, e.done, e.total, e.unit]), [
      ['calibrate', 1, 3, 'images'], ['calibrate', 2, 3, 'images'], ['calibrate', 3, 3, 'images'],
    ]);
  });

  it('decodes at most about two batches ahead', async () => {
    // Files 6..9 do not exist until the first batch (0, 1) is in hand: reading ahead stops at file 5.
    const later = Array.from({ length: 4 }, (_, i) => join(dir, `late-${i}.png`));
    const list = [...files.slice(0, 6), ...later];
    const reader = readBatches(list, p, { batchSize: 2, concurrency: 2 });
    const first = await reader.next();
    assert.equal(first.done, false);
    await Promise.all(later.map((file) => solid(file, 4, 4, [9, 9, 9])));
    let count = 2;
    for await (const batch of reader) count += batch.files.length;
    assert.equal(count, 10);
  });

  it('throws the first bad image, naming it', async () => {
    const bad = await truncatedJpeg(join(dir, 'bad-a.jpg'));
    const list = [...files.slice(0, 5), bad, ...files.slice(5)];
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of readBatches(list, p, { batchSize: 4 })) seen.push(...batch.files);
      })(),
      (error: unknown) => error instanceof Int8calError && error.code === 'IMAGE_DECODE' && error.subject.file === bad,
    );
    assert.deepEqual(seen, files.slice(0, 4));
  });

  it('skips bad images with a warning when asked, and says which', async () => {
    const truncated = await truncatedJpeg(join(dir, 'bad-b.jpg'));
    const text = join(dir, 'bad-c.png');
    await writeFile(text, 'not a png');
    const list = [files[0]!, truncated, ...files.slice(1, 5), text, ...files.slice(5)];
    const warnings: string[] = [];
    const reader = readBatches(list, p, { batchSize: 4, skipBadImages: true, onWarning: (m) => warnings.push(m) });
    const batches: ImageBatch[] = [];
    let result = await reader.next();
    while (!result.done) {
      batches.push(result.value);
      result = await reader.next();
    }
    assert.deepEqual(batches.map((b) => b.files.length), [4, 4, 2]);
    assert.deepEqual(batches.flatMap((b) => b.files), files);
    assert.deepEqual(batches.map((b) => b.skipped.map((s) => s.file)), [[truncated], [text], []]);
    assert.deepEqual(result.value.skipped.map((s) => s.file), [truncated, text]);
    assert.deepEqual([result.value.images, result.value.batches], [10, 3]);
    assert.match(result.value.skipped[0]!.reason, /premature end/i);
    assert.equal(warnings.length, 3);
    assert.ok(warnings[0]!.includes(truncated) && /premature end/i.test(warnings[0]!), warnings[0]);
    assert.ok(warnings[1]!.includes(text), warnings[1]);
    assert.match(warnings[2]!, /Skipped 2 of 12 images/);
  });

  it('fails when no image at all decodes', async () => {
    const bad = await truncatedJpeg(join(dir, 'bad-d.jpg'));
    await assert.rejects(collect([bad, bad], { batchSize: 2, skipBadImages: true }), (error: unknown) =>
      error instanceof Int8calError && error.code === 'NO_IMAGES' && /None of the 2 images/.test(error.message));
  });

  it('checks its arguments before reading', () => {
    assert.throws(() => readBatches(files, p, { batchSize: 0 }), {
      message: 'Expected positive integer for batchSize but received 0 of type number',
    });
    assert.throws(() => readBatches(files, p, { batchSize: 2, concurrency: 1.5 }), /concurrency/);
    assert.throws(() => readBatches([], p, { batchSize: 2 }), (e: unknown) => e instanceof Int8calError && e.code === 'NO_IMAGES');
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const reader = readBatches(files, p, { batchSize: 2, signal: controller.signal });
    assert.equal((await reader.next()).done, false);
    controller.abort();
    await assert.rejects(reader.next(), { name: 'AbortError' });
    const aborted = new AbortController();
    aborted.abort();
    assert.throws(() => readBatches(files, p, { batchSize: 2, signal: aborted.signal }), { name: 'AbortError' });
  });

  it('can be left early', async () => {
    let taken = 0;
    for await (const batch of readBatches(files, p, { batchSize: 3 })) {
      taken += batch.files.length;
      break;
    }
    assert.equal(taken, 3);
  });
});
