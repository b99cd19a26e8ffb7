/** The image reader on the real sample photos (`npm run datasets` installs them). */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import {
  decodeImage,
  ImageDecodeError,
  listImages,
  readBatches,
  resolvePreprocessing,
  type ImageBatch,
} from '../../../datasets/images/index.js';
import { samples, samplesDir } from '../../support/paths.js';
import { at } from './fixtures.js';

before(() => {
  assert.ok(existsSync(samplesDir), `${samplesDir} is missing: run \`npm run build && npm run datasets\` first`);
});

const imagenet = resolvePreprocessing({ name: 'x', dims: [1, 3, 224, 224], elementType: 'float' }, { preset: 'imagenet' });

describe('sample photos', () => {
  it('lists the scenes calibration set in sorted order', async () => {
    const files = await listImages(samples('scenes', 'calibration'));
    assert.equal(files.length, 49);
    const names = files.map((f) => basename(f));
    assert.deepEqual(names, [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it('reads every scenes calibration photo as imagenet batches, deterministically', async () => {
    const files = await listImages(samples('scenes', 'calibration'));
    const read = async (concurrency: number): Promise<ImageBatch[]> => {
      const out: ImageBatch[] = [];
      for await (const batch of readBatches(files, imagenet, { batchSize: 8, concurrency })) out.push(batch);
      return out;
    };
    const batches = await read(4);
    assert.deepEqual(batches.map((b) => b.dims[0]), [8, 8, 8, 8, 8, 8, 1]);
    assert.deepEqual(batches.flatMap((b) => b.files), files);
    const low = (0 - 0.485) / 0.229 - 1e-6; // the lowest channel minimum (red)
    const high = (1 - 0.406) / 0.225 + 1e-6; // the highest channel maximum (blue)
    let min = Infinity;
    let max = -Infinity;
    for (const b of batches) {
      for (const v of b.data) {
        assert.ok(v >= low && v <= high, `value ${v} out of range`);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    assert.ok(min < -1.5 && max > 2, `photos should span most of the range: ${min}..${max}`);
    const again = await read(1);
    assert.ok(again.every((b, i) => Buffer.compare(Buffer.from(b.data.buffer), Buffer.from(batches[i]!.data.buffer)) === 0));
  });

  it('letterboxes dlib 2007_007763.jpg for a 640x640 detector with geometry that maps back', async () => {
    const file = join(samples('people', 'evaluation'), '2007_007763.jpg');
    const meta = await sharp(file).metadata();
    const p = resolvePreprocessing({ name: 'images', dims: [1, 3, 640, 640], elementType: 'float' }, { preset: 'yolo' });
    const { data, geometry: g } = await decodeImage(file, p);
    assert.deepEqual([g.srcWidth, g.srcHeight], [meta.width, meta.height]);
    assert.ok(meta.width! > meta.height!, 'a landscape photo');
    assert.equal(g.resizedWidth, 640);
    assert.equal(g.padX, 0);
    assert.equal(g.padY, Math.floor((640 - g.resizedHeight) / 2));
    const pad = Math.fround(114 / 255);
    assert.equal(at(data, p, 0, 0, 320), pad);
    assert.equal(at(data, p, 2, 639, 0), pad);
    // The photo's bottom-right corner maps to the bottom-right corner of the resized area.
    const x = meta.width! * g.scaleX + g.padX;
    const y = meta.height! * g.scaleY + g.padY;
    assert.ok(Math.abs(x - 640) < 1e-9 && Math.abs(y - (g.padY + g.resizedHeight)) < 1e-9, `${x}, ${y}`);
  });

  it('makes 112x112 face-embedding inputs from the LFW crops', async () => {
    const files = await listImages(samples('lfw', 'evaluation'));
    assert.equal(files.length, 55);
    const p = resolvePreprocessing({ name: 'data', dims: [1, 3, 112, 112], elementType: 'float' }, { preset: 'raw', mean: 127, std: 128 });
    const batches: ImageBatch[] = [];
    for await (const b of readBatches(files.slice(0, 11), p, { batchSize: 11 })) batches.push(b);
    assert.deepEqual(batches.map((b) => b.dims), [[11, 3, 112, 112]]);
    assert.ok(batches[0]!.data.every((v) => v >= -127 / 128 && v <= 1));
  });

  it('turns the EXIF orientation examples (letter F, orientations 1-8) upright', async () => {
    const files = (await listImages(samples('orientation'))).filter((f) => /f\d-exif\.jpg$/.test(f));
    assert.equal(files.length, 8);
    const p = resolvePreprocessing({ name: 'x', dims: [1, 3, 80, 40], elementType: 'float' }, { preset: 'raw' });
    const shapes: string[] = [];
    for (const file of files) {
      const { data, geometry } = await decodeImage(file, p);
      assert.deepEqual([geometry.srcWidth, geometry.srcHeight], [40, 80], file);
      shapes.push(letterShape((x, y) => at(data, p, 0, y, x), 40, 80));
    }
    assert.ok(shapes.every((s) => similar(s, shapes[0]!)), `shapes differ:\n${shapes.join('\n\n')}`);
    // Control: as stored (no orientation applied) most of them do not look like f1.
    let differ = 0;
    for (const file of files.slice(1)) {
      const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const shape = letterShape((x, y) => data[(y * info.width + x) * info.channels]!, info.width, info.height);
      if (!similar(shape, shapes[0]!)) differ++;
    }
    assert.equal(differ, 7);
  });

  it('refuses every file of the bad set, naming it; skips them when asked', async () => {
    const bad = await listImages(samples('bad'));
    assert.equal(bad.length, 6);
    for (const file of bad) {
      await assert.rejects(decodeImage(file, imagenet), (e: unknown) => e instanceof ImageDecodeError && e.subject.file === file);
    }
    const good = (await listImages(samples('people', 'evaluation'))).slice(0, 3);
    const warnings: string[] = [];
    const files: string[] = [];
    const mixed = [bad[0]!, good[0]!, ...bad.slice(1, 4), good[1]!, ...bad.slice(4), good[2]!];
    for await (const b of readBatches(mixed, imagenet, { batchSize: 2, skipBadImages: true, onWarning: (m) => warnings.push(m) })) {
      files.push(...b.files);
    }
    assert.deepEqual(files, good);
    for (const file of bad) assert.ok(warnings.some((w) => w.includes(file)), `no warning names ${file}`);
  });
});

/** The dark pixels' bounding box sampled on a 6x12 grid, as text: compares letters whatever their offset. */
function letterShape(value: (x: number, y: number) => number, width: number, height: number): string {
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (value(x, y) < 128) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  const rows: string[] = [];
  for (let gy = 0; gy < 12; gy++) {
    let row = '';
    for (let gx = 0; gx < 6; gx++) {
      const x = Math.floor(x0 + ((gx + 0.5) * (x1 - x0 + 1)) / 6);
      const y = Math.floor(y0 + ((gy + 0.5) * (y1 - y0 + 1)) / 12);
      row += value(x, y) < 128 ? '#' : '.';
    }
    rows.push(row);
  }
  return rows.join('\n');
}

function similar(a: string, b: string): boolean {
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  return differ <= 4;
}
