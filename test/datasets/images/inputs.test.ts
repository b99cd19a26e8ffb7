/** The preprocessing modes int8cal gained for models outside the first sample set, on real photos. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import {
  choosePreset, decodeImage, describePreprocessing, readBatches, resolvePreprocessing, type Preprocessing, type PreprocessingOptions,
} from '../../../datasets/images/index.js';
import { Int8calError } from '../../../src/core/errors.js';
import { samples } from '../../support/paths.js';
import { tempDir } from './fixtures.js';

/** 480x360 real photos (Scratch backgrounds) and a 512x512 one. */
const photo = join(samples('scenes', 'calibration'), 'scratch-baseball-field.jpg');
const square = join(samples('faces', 'calibration'), 'gnome-cat.jpg');

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, cleanup } = await tempDir());
});
after(() => cleanup());

const resolve = (dims: (number | string)[], options: PreprocessingOptions): Preprocessing => resolvePreprocessing({ name: 'images', dims, elementType: 'float' }, options);
/** Value at (c, y, x) of an NCHW tensor of width W, height H. */
const chw = (data: Float32Array, C: number, H: number, W: number) => (c: number, y: number, x: number): number => data[c * H * W + y * W + x]!;
/** The photo resized by sharp to w x h, raw RGB(A) bytes. */
async function resized(file: string, w: number, h: number, channels: 3 | 4 = 3): Promise<Buffer> {
  let s = sharp(file).resize(w, h, { fit: 'fill', kernel: 'linear' });
  s = channels === 4 ? s.ensureAlpha(1) : s.removeAlpha();
  return s.raw().toBuffer();
}

function throwsCode(fn: () => unknown, code: string): Int8calError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Int8calError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('units check', () => {
  it('refuses 0-255 mean/std with the default 1/255 preset, naming the fix (--scale 1)', () => {
    const error = throwsCode(() => resolve([1, 3, 224, 224], { mean: '127', std: '128' }), 'PREPROCESSING_UNITS');
    assert.equal(error.message, 'Input "images": mean 127 and std 128 do not fit the imagenet preset\'s scale 1/255 (pixel · scale in [0, 1]): ' +
      'mean 127 lies outside that range, so every input value would be in [-0.992, -0.984]');
    assert.equal(error.subject.hint, 'they look like 0–255 pixel units: add --scale 1 (or give them in [0, 1] units: --mean 0.498 --std 0.502)');
    assert.equal(error.subject.tensor, 'images');
    // The fix it names works.
    const fixed = resolve([1, 3, 224, 224], { mean: '127', std: '128', scale: '1' });
    assert.deepEqual([fixed.scale, fixed.mean[0], fixed.std[0]], [1, 127, 128]);
  });

  it('refuses ImageNet [0, 1] mean/std on 0-255 pixels (--scale 1) and a std far wider than the pixel range', () => {
    const unit = throwsCode(() => resolve([1, 3, 224, 224], { scale: '1' }), 'PREPROCESSING_UNITS');
    assert.match(unit.message, /--scale 1 \(pixel · scale in \[0, 255\]\): they look like values for pixels in \[0, 1\]/);
    assert.match(unit.subject.hint!, /add --scale 1\/255/);
    const wide = throwsCode(() => resolve([1, 3, 224, 224], { preset: 'unit', mean: '0.5', std: '100' }), 'PREPROCESSING_UNITS');
    assert.match(wide.message, /std 100 is more than twice that range/);
  });

  it('accepts every preset and the real models\' own conventions', () => {
    for (const preset of ['imagenet', 'yolo', 'yolo-cls', 'yolox', 'unit', 'symmetric', 'raw']) resolve([1, 3, 64, 64], { preset });
    resolve([1, 3, 64, 64], { scale: 1, mean: '123.675,116.28,103.53', std: '58.395,57.12,57.375' }); // wired_table_rec
    resolve([1, 3, 64, 64], { scale: 1, mean: 127, std: 128 }); // fr_detect
    resolve([1, 3, 64, 64], { preset: 'unit', mean: 0.5, std: 0.5 }); // PaddleOCR rec
  });
});

describe('4-channel inputs', () => {
  it('feed the image\'s alpha (keep), 255 without one, or 255 everywhere (opaque)', async () => {
    // The real photo with an alpha ramp from 0 (left) to 255 (right).
    const { width, height } = { width: 64, height: 48 };
    const rgb = await sharp(photo).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    const alpha = Buffer.from(Array.from({ length: width * height }, (_, i) => Math.round(((i % width) / (width - 1)) * 255)));
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) { rgb.copy(rgba, i * 4, i * 3, i * 3 + 3); rgba[i * 4 + 3] = alpha[i]!; }
    const png = join(dir, 'alpha.png');
    await sharp(rgba, { raw: { width, height, channels: 4 } }).png().toFile(png);

    const keep = resolve([1, 4, height, width], { preset: 'unit' });
    assert.deepEqual([keep.channels, keep.alpha], [4, 'keep']);
    assert.match(describePreprocessing(keep), /rgb\+alpha \(keep\)/);
    const at = chw((await decodeImage(png, keep)).data, 4, height, width);
    for (const [y, x] of [[0, 0], [10, 31], [47, 63]] as const) {
      assert.equal(at(3, y, x), Math.fround(alpha[y * width + x]! / 255), `alpha at ${x},${y}`);
      // Colour is the photo's own, not flattened on black where alpha is 0.
      assert.equal(at(0, y, x), Math.fround(rgb[(y * width + x) * 3]! / 255), `red at ${x},${y}`);
    }
    const opaque = chw((await decodeImage(png, resolve([1, 4, height, width], { preset: 'unit', alpha: 'opaque' }))).data, 4, height, width);
    assert.equal(opaque(3, 0, 0), 1);
    assert.equal(opaque(0, 0, 0), 0, 'opaque flattens the transparent corner on black');
    const jpeg = chw((await decodeImage(photo, keep)).data, 4, height, width);
    assert.equal(jpeg(3, 20, 20), 1, 'a JPEG has no alpha: 255 · scale');
  });

  it('are read in NHWC too, and a 5-channel input is still refused', async () => {
    const nhwc = resolve([1, 32, 32, 4], {});
    assert.deepEqual([nhwc.layout, nhwc.channels], ['NHWC', 4]);
    const { data } = await decodeImage(photo, nhwc);
    assert.equal(data.length, 32 * 32 * 4);
    assert.equal(data[3], 1, 'alpha of pixel 0 (imagenet: alpha · 1/255, no mean/std)');
    throwsCode(() => resolve([1, 5, 32, 32], {}), 'INPUT_LAYOUT');
  });
});

describe('preprocessing modes', () => {
  it('gray stacked to 3 channels equals the 1-channel luminance in every channel', async () => {
    const gray3 = resolve([1, 3, 40, 40], { preset: 'unit', color: 'gray' });
    const gray1 = resolve([1, 1, 40, 40], { preset: 'unit' });
    const three = chw((await decodeImage(photo, gray3)).data, 3, 40, 40);
    const one = chw((await decodeImage(photo, gray1)).data, 1, 40, 40);
    let differing = 0;
    for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) {
      for (let c = 0; c < 3; c++) if (three(c, y, x) !== one(0, y, x)) differing++;
    }
    assert.equal(differing, 0);
    const colour = chw((await decodeImage(photo, resolve([1, 3, 40, 40], { preset: 'unit' }))).data, 3, 40, 40);
    assert.notEqual(colour(0, 20, 20), colour(2, 20, 20), 'the photo itself is not gray');
    assert.match(describePreprocessing(gray3), /gray as rgb/);
  });

  it('yolox: BGR, top-left letterbox into 416 filled with 114, raw 0-255', async () => {
    const p = resolve([1, 3, 416, 416], { preset: 'yolox' });
    assert.deepEqual([p.resize, p.anchor, p.padValue, p.channelOrder, p.scale], ['letterbox', 'top-left', 114, 'bgr', 1]);
    assert.equal(describePreprocessing(p), 'yolox: NCHW 3x416x416 bgr, letterbox 416x416 (pad 114, at top-left), linear, value = x');
    const { data, geometry } = await decodeImage(photo, p); // 480x360 → 416x312, no offset
    assert.deepEqual([geometry.resizedWidth, geometry.resizedHeight, geometry.padX, geometry.padY], [416, 312, 0, 0]);
    const at = chw(data, 3, 416, 416);
    const ref = await resized(photo, 416, 312);
    assert.deepEqual([at(0, 0, 0), at(2, 0, 0)], [ref[2], ref[0]], 'top-left pixel, blue first');
    assert.deepEqual([at(0, 311, 415), at(1, 311, 415)], [ref[(311 * 416 + 415) * 3 + 2], ref[(311 * 416 + 415) * 3 + 1]]);
    assert.deepEqual([at(0, 312, 0), at(1, 415, 415), at(2, 400, 10)], [114, 114, 114], 'padding only below the photo');
    const centred = await decodeImage(photo, resolve([1, 3, 416, 416], { preset: 'yolox', anchor: 'center' }));
    assert.equal(centred.geometry.padY, 52);
  });

  it('--crop-fraction sets the cover size before the centre crop', async () => {
    const at = async (cropFraction: number) => (await decodeImage(photo, resolve([1, 3, 224, 224], { cropFraction }))).geometry;
    assert.deepEqual([(await at(0.875)).resizedHeight, (await at(1)).resizedHeight, (await at(0.5)).resizedHeight], [256, 224, 448]);
    const exact = await at(1); // 480x360 → 298x224 (torchvision truncates), crop the centre 224 columns
    assert.deepEqual([exact.resizedWidth, exact.padX, exact.padY + 0], [298, -37, 0]);
    throwsCode(() => resolve([1, 3, 224, 224], { cropFraction: 0 }), 'INVALID_PARAMETER');
  });

  it('fit keeps the aspect within the size without padding: each image its own tensor size, one per batch', async () => {
    const p = resolve(['N', 3, 'H', 'W'], { resize: 'fit', size: '320x320', preset: 'unit' });
    assert.equal(describePreprocessing(p), 'unit: NCHW 3x320x320 rgb, fit within 320x320 (no padding), linear, value = x/255');
    const shapes: number[][] = [];
    for await (const batch of readBatches([photo, square], p, { batchSize: 1 })) {
      shapes.push(batch.dims);
      assert.equal(batch.data.length, batch.dims.reduce((a, b) => a * b, 1));
    }
    assert.deepEqual(shapes, [[1, 3, 240, 320], [1, 3, 320, 320]]);
    const { data } = await decodeImage(photo, p);
    const ref = await resized(photo, 320, 240);
    assert.equal(data[239 * 320 + 319], Math.fround(ref[(239 * 320 + 319) * 3]! / 255), 'the last pixel is photo, not padding');
    assert.throws(() => readBatches([photo], p, { batchSize: 2 }), /1 with resize fit/);
    const fixed = throwsCode(() => resolve([1, 3, 320, 320], { resize: 'fit' }), 'PREPROCESSING_CONFLICT');
    assert.match(fixed.subject.hint!, /dynamic H\/W/);
  });
});

describe('preset choice', () => {
  it('says why: given, the model\'s metadata, or the default', () => {
    assert.deepEqual(choosePreset('yolo'), { preset: 'yolo', reason: 'given with --preset' });
    const ultralytics = choosePreset(undefined, { author: 'Ultralytics', task: 'detect' });
    assert.equal(ultralytics.preset, 'yolo');
    assert.match(ultralytics.reason, /metadata says it is an Ultralytics detect model/);
    const none = choosePreset(undefined, {});
    assert.equal(none.preset, 'imagenet');
    assert.match(none.reason, /nothing in the model records its preprocessing; imagenet .* is the default/);
    assert.equal(choosePreset(undefined, { author: 'Ultralytics', task: 'classify' }).preset, 'yolo-cls');
    assert.match(choosePreset(undefined, { author: 'Ultralytics', task: 'track' }).reason, /names no known preprocessing \(an Ultralytics track without a preset of its own\)/);
  });
});
