import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import {
  decodeImage,
  ImageDecodeError,
  planGeometry,
  resolvePreprocessing,
  type Preprocessing,
} from '../../../datasets/images/index.js';
import { Int8calError } from '../../../src/core/errors.js';
import { at, encodePng, fromPixels, solid, spec, tempDir, truncatedJpeg } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, cleanup } = await tempDir());
});
after(() => cleanup());

const f32 = Math.fround;
/** Every value of channel c, whatever the layout. */
function channel(data: Float32Array, p: Preprocessing, c: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) out.push(at(data, p, c, y, x));
  return out;
}
function assertAll(values: number[], expected: number, what: string): void {
  const wrong = values.findIndex((v) => v !== expected);
  assert.equal(wrong, -1, `${what}: value ${values[wrong]} at ${wrong}, expected ${expected}`);
}

describe('decodeImage: presets', () => {
  it('imagenet on a white image gives (1 - mean) / std exactly, shape 3x224x224', async () => {
    const file = await solid(join(dir, 'white.png'), 300, 200, [255, 255, 255]);
    const p = spec(224, 224, { preset: 'imagenet' });
    const { data } = await decodeImage(file, p);
    assert.equal(data.length, 3 * 224 * 224);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    for (let c = 0; c < 3; c++) assertAll(channel(data, p, c), f32((1 - mean[c]!) / std[c]!), `channel ${c}`);
  });

  it('unit, yolo, symmetric and raw map white and black to their ranges', async () => {
    const white = await solid(join(dir, 'w.png'), 32, 32, [255, 255, 255]);
    const black = await solid(join(dir, 'k.png'), 32, 32, [0, 0, 0]);
    const cases: [string, number, number][] = [
      ['unit', 1, 0],
      ['yolo', 1, 0],
      ['symmetric', 1, -1],
      ['raw', 255, 0],
    ];
    for (const [preset, high, low] of cases) {
      const p = spec(32, 32, { preset });
      assertAll([...(await decodeImage(white, p)).data], high, `${preset} white`);
      assertAll([...(await decodeImage(black, p)).data], low, `${preset} black`);
    }
  });

  it('symmetric keeps a full gradient within [-1, 1]', async () => {
    const file = await fromPixels(join(dir, 'ramp.png'), 256, 4, (x) => [x, 255 - x, x]);
    const { data } = await decodeImage(file, spec(256, 4, { preset: 'symmetric' }));
    assert.equal(Math.min(...data), -1);
    assert.equal(Math.max(...data), 1);
  });
});

describe('decodeImage: layout and channel order', () => {
  const pixel = (x: number, y: number): number[] => [x * 10, y * 10, 200];
  it('places elements in NCHW and NHWC', async () => {
    const file = await fromPixels(join(dir, 'xy.png'), 4, 3, pixel);
    const nchw = spec(4, 3, { preset: 'raw' });
    const nhwc = spec(4, 3, { preset: 'raw', layout: 'NHWC' });
    const a = (await decodeImage(file, nchw)).data;
    const b = (await decodeImage(file, nhwc)).data;
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          assert.equal(a[c * 12 + y * 4 + x], pixel(x, y)[c], `NCHW c${c} y${y} x${x}`);
          assert.equal(b[(y * 4 + x) * 3 + c], pixel(x, y)[c], `NHWC c${c} y${y} x${x}`);
        }
      }
    }
  });

  it('swaps to bgr', async () => {
    const file = await fromPixels(join(dir, 'xy2.png'), 4, 3, pixel);
    const p = spec(4, 3, { preset: 'raw', channelOrder: 'bgr' });
    const { data } = await decodeImage(file, p);
    assert.equal(at(data, p, 0, 1, 2), 200);
    assert.equal(at(data, p, 1, 1, 2), 10);
    assert.equal(at(data, p, 2, 1, 2), 20);
  });

  it('applies mean/std per tensor channel', async () => {
    const file = await solid(join(dir, 'c.png'), 8, 8, [10, 20, 30]);
    const p = spec(8, 8, { preset: 'raw', mean: '1,2,3', std: '2,4,8' });
    const { data } = await decodeImage(file, p);
    assert.deepEqual([0, 1, 2].map((c) => at(data, p, c, 4, 4)), [4.5, 4.5, 3.375]);
  });
});

describe('decodeImage: geometry', () => {
  it('letterboxes 200x100 into 64x64: scale 0.32, pad rows 16 above and below', async () => {
    const file = await solid(join(dir, 'wide.png'), 200, 100, [255, 0, 0]);
    const p = spec(64, 64, { preset: 'yolo' });
    const { data, geometry } = await decodeImage(file, p);
    assert.deepEqual(geometry, {
      srcWidth: 200, srcHeight: 100, resizedWidth: 64, resizedHeight: 32, scale: 0.32, scaleX: 0.32, scaleY: 0.32, padX: 0, padY: 16,
    });
    const pad = f32(114 * (1 / 255));
    for (let y = 0; y < 64; y++) {
      const inside = y >= 16 && y < 48;
      const expected = inside ? [1, 0, 0] : [pad, pad, pad];
      for (const x of [0, 31, 63]) {
        assert.deepEqual([0, 1, 2].map((c) => at(data, p, c, y, x)), expected, `row ${y} x ${x}`);
      }
    }
  });

  it('letterboxes a portrait image with side pads', () => {
    const g = planGeometry(100, 200, spec(64, 64, { preset: 'yolo' }));
    assert.deepEqual([g.resizedWidth, g.resizedHeight, g.padX, g.padY], [32, 64, 16, 0]);
    const odd = planGeometry(101, 64, spec(64, 64, { preset: 'yolo' }));
    assert.deepEqual([odd.resizedWidth, odd.resizedHeight, odd.padX, odd.padY], [64, 41, 0, 11]);
  });

  it('crops like torchvision: cover 256 then centre-crop 224', async () => {
    const p = spec(224, 224, { preset: 'imagenet' });
    const g = planGeometry(400, 300, p);
    assert.deepEqual([g.resizedWidth, g.resizedHeight, g.padX, g.padY], [341, 256, -58, -16]); // left = round(58.5) = 58 (half to even)
    assert.ok(Math.abs(g.scale - 256 / 300) < 1e-12);
    // Left quarter red, rest blue: the crop starts 58 px into the resized image.
    const file = await fromPixels(join(dir, 'quarter.png'), 400, 300, (x) => (x < 100 ? [255, 0, 0] : [0, 0, 255]));
    const { data, geometry } = await decodeImage(file, { ...p, preset: 'raw', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    assert.deepEqual(geometry, g);
    // red ends at 100 * 341/400 = 85.25 resized, i.e. x = 27.25 in the tensor
    assert.equal(at(data, p, 0, 100, 20), 255);
    assert.equal(at(data, p, 2, 100, 20), 0);
    assert.equal(at(data, p, 0, 100, 35), 0);
    assert.equal(at(data, p, 2, 100, 35), 255);
  });

  it('stretches with per-axis scales', () => {
    const g = planGeometry(200, 100, spec(50, 50, { preset: 'unit' }));
    assert.deepEqual([g.resizedWidth, g.resizedHeight, g.scaleX, g.scaleY, g.padX, g.padY], [50, 50, 0.25, 0.5, 0, 0]);
  });
});

describe('decodeImage: what photos really contain', () => {
  it('applies EXIF orientation 6 (stored landscape, shown portrait)', async () => {
    // Stored 60x40, left half red; orientation 6 turns it 90° clockwise: the red half goes on top.
    const stored = Buffer.alloc(60 * 40 * 3);
    for (let i = 0; i < 60 * 40; i++) stored.set((i % 60) < 30 ? [255, 0, 0] : [0, 0, 255], i * 3);
    const file = join(dir, 'turned.jpg');
    await sharp(stored, { raw: { width: 60, height: 40, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(file);
    assert.equal((await sharp(file).metadata()).orientation, 6);
    const p = spec(40, 60, { preset: 'raw' });
    const { data, geometry } = await decodeImage(file, p);
    assert.deepEqual([geometry.srcWidth, geometry.srcHeight], [40, 60]);
    const near = (actual: number, expected: number): boolean => Math.abs(actual - expected) <= 8;
    for (const [y, red] of [[5, true], [20, true], [40, false], [55, false]] as const) {
      const rgb = [0, 1, 2].map((c) => at(data, p, c, y, 20));
      assert.ok(near(rgb[0]!, red ? 255 : 0) && near(rgb[2]!, red ? 0 : 255), `row ${y}: ${rgb.join(',')}`);
    }
  });

  it('expands grayscale to three equal channels', async () => {
    const values = Array.from({ length: 16 }, (_, i) => i * 17);
    const file = join(dir, 'gray.png');
    await writeFile(file, encodePng(4, 4, 8, 0, values));
    const p = spec(4, 4, { preset: 'raw' });
    const { data } = await decodeImage(file, p);
    for (let c = 0; c < 3; c++) assert.deepEqual(channel(data, p, c), values);
  });

  it('keeps one channel for a 1-channel input', async () => {
    const p = resolvePreprocessing({ name: 'x', dims: [1, 1, 4, 4], elementType: 'float' }, { preset: 'raw' });
    const gray = join(dir, 'gray1.png');
    await writeFile(gray, encodePng(4, 4, 8, 0, Array.from({ length: 16 }, (_, i) => i)));
    const { data } = await decodeImage(gray, p);
    assert.deepEqual([...data], Array.from({ length: 16 }, (_, i) => i));
    const white = await solid(join(dir, 'white1.png'), 4, 4, [255, 255, 255]);
    assert.deepEqual([...(await decodeImage(white, p)).data], Array(16).fill(255));
  });

  it('drops alpha by flattening on black', async () => {
    const file = join(dir, 'alpha.png');
    await writeFile(file, encodePng(3, 1, 8, 6, [200, 10, 20, 255, 0, 255, 0, 0, 0, 0, 255, 51]));
    const p = spec(3, 1, { preset: 'raw' });
    const { data } = await decodeImage(file, p);
    const pixels = [0, 1, 2].map((x) => [0, 1, 2].map((c) => at(data, p, c, 0, x)));
    assert.deepEqual(pixels, [[200, 10, 20], [0, 0, 0], [0, 0, 51]]);
  });

  it('reduces 16-bit PNG to 8-bit', async () => {
    const file = join(dir, 'deep.png');
    await writeFile(file, encodePng(2, 1, 16, 2, [65535, 32896, 0, 2570, 5140, 7710]));
    const p = spec(2, 1, { preset: 'raw' });
    const { data } = await decodeImage(file, p);
    assert.deepEqual([0, 1].map((x) => [0, 1, 2].map((c) => at(data, p, c, 0, x))), [[255, 128, 0], [10, 20, 30]]);
    const grayAlpha = join(dir, 'deep-ga.png');
    await writeFile(grayAlpha, encodePng(2, 1, 16, 4, [65535, 65535, 25700, 65535]));
    assert.deepEqual([...(await decodeImage(grayAlpha, p)).data], [255, 100, 255, 100, 255, 100]);
  });

  it('converts CMYK JPEG to sRGB', async () => {
    const file = join(dir, 'cmyk.jpg');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } } }).toColourspace('cmyk').jpeg().toFile(file);
    assert.equal((await sharp(file).metadata()).space, 'cmyk');
    const p = spec(8, 8, { preset: 'raw' });
    const { data } = await decodeImage(file, p);
    const rgb = [0, 1, 2].map((c) => at(data, p, c, 4, 4));
    assert.ok(rgb[0]! > 200 && rgb[1]! < 40 && rgb[2]! < 40, rgb.join(','));
  });

  it('reads only the first frame of an animation', async () => {
    const frames = Buffer.alloc(4 * 4 * 3);
    for (let i = 0; i < 16; i++) frames.set(i < 8 ? [255, 0, 0] : [0, 0, 255], i * 3);
    for (const ext of ['gif', 'webp']) {
      const file = join(dir, `anim.${ext}`);
      await sharp(frames, { raw: { width: 4, height: 4, channels: 3, pageHeight: 2 } }).toFile(file);
      assert.equal((await sharp(file).metadata()).pages, 2);
      const p = spec(4, 2, { preset: 'raw' });
      const { data, geometry } = await decodeImage(file, p);
      assert.deepEqual([geometry.srcWidth, geometry.srcHeight], [4, 2]);
      assertAll(channel(data, p, 0), 255, `${ext} red`);
      assertAll(channel(data, p, 2), 0, `${ext} blue`);
    }
  });

  it('reads TIFF and WebP', async () => {
    for (const ext of ['tif', 'webp']) {
      const file = await solid(join(dir, `plain.${ext}`), 10, 10, [0, 255, 0]);
      const p = spec(5, 5, { preset: 'unit' });
      const green = channel((await decodeImage(file, p)).data, p, 1);
      assert.ok(green.every((v) => v > 0.95), `${ext}: ${green.join(',')}`);
    }
  });
});

describe('decodeImage: failures', () => {
  async function decodeFails(file: string, p: Preprocessing, options = {}): Promise<ImageDecodeError> {
    try {
      await decodeImage(file, p, options);
    } catch (error) {
      assert.ok(error instanceof ImageDecodeError, String(error));
      assert.equal(error.code, 'IMAGE_DECODE');
      assert.equal(error.subject.file, file);
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.subject.hint ?? '', /--skip-bad-images/);
      return error;
    }
    assert.fail(`${file} decoded`);
  }

  it('names the file of a truncated JPEG', async () => {
    const file = await truncatedJpeg(join(dir, 'half.jpg'));
    const error = await decodeFails(file, spec(32, 32));
    assert.match(error.reason, /premature end/i);
  });

  it('refuses files that are not images, missing files and folders', async () => {
    const text = join(dir, 'text.jpg');
    await writeFile(text, 'not a picture');
    await decodeFails(text, spec(8, 8));
    assert.equal((await decodeFails(join(dir, 'missing.png'), spec(8, 8))).reason, 'file not found');
    assert.equal((await decodeFails(dir, spec(8, 8))).reason, 'it is a folder');
  });

  it('refuses a 20000x20000 header without decoding it', async () => {
    // Header only: the pixel data is empty, so decoding would fail differently.
    const file = join(dir, 'bomb.png');
    await writeFile(file, encodePng(20000, 20000, 8, 2, []));
    const error = await decodeFails(file, spec(64, 64));
    assert.match(error.reason, /20000x20000 = 400\.0 megapixels exceeds the limit of 67\.1 megapixels/);
    assert.match(error.reason, /not decoded/);
  });

  it('honours a smaller pixel limit', async () => {
    const file = await solid(join(dir, 'hundred.png'), 100, 100, [1, 2, 3]);
    await decodeFails(file, spec(8, 8), { maxPixels: 9999 });
    assert.equal((await decodeImage(file, spec(8, 8), { maxPixels: 10000 })).data.length, 192);
  });

  it('writes into a given array at an offset and checks the room', async () => {
    const file = await solid(join(dir, 'into.png'), 4, 4, [255, 255, 255]);
    const p = spec(2, 2, { preset: 'unit' });
    const into = new Float32Array(20).fill(-7);
    const { data } = await decodeImage(file, p, { into, offset: 4 });
    assert.equal(data, into);
    assert.deepEqual([...into], [-7, -7, -7, -7, ...Array(12).fill(1), -7, -7, -7, -7]);
    await assert.rejects(decodeImage(file, p, { into, offset: 9 }), (e: unknown) => e instanceof Int8calError && e.code === 'INVALID_PARAMETER');
  });
});
