import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Int8calError } from '../../../src/core/errors.js';
import {
  checkPreprocessing,
  describePreprocessing,
  imageDims,
  parseNumber,
  parseSize,
  parseTriple,
  resolvePreprocessing,
  type ImageInput,
} from '../../../datasets/images/index.js';

const input = (dims: ImageInput['dims'], elementType = 'float'): ImageInput => ({ name: 'images', dims, elementType });

/** Asserts an Int8calError with this code; returns it for further checks. */
function throwsCode(fn: () => unknown, code: string): Int8calError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Int8calError, `expected Int8calError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('resolvePreprocessing', () => {
  it('reads layout, channels and size from static NCHW dims [1,3,240,320]', () => {
    const p = resolvePreprocessing(input([1, 3, 240, 320]), { preset: 'unit' });
    assert.deepEqual(
      { layout: p.layout, width: p.width, height: p.height, channels: p.channels },
      { layout: 'NCHW', width: 320, height: 240, channels: 3 },
    );
    assert.deepEqual(imageDims(p), [3, 240, 320]);
  });

  it('needs --size for dynamic H/W, naming the input and its dims', () => {
    const error = throwsCode(() => resolvePreprocessing(input(['N', 3, 'H', 'W'])), 'INPUT_SIZE_REQUIRED');
    assert.match(error.message, /"images"/);
    assert.match(error.message, /\[N, 3, H, W\]/);
    assert.equal(error.subject.tensor, 'images');
    assert.match(error.subject.hint ?? '', /--size WxH/);
    const p = resolvePreprocessing(input(['N', 3, 'H', 'W']), { size: '640x480' });
    assert.deepEqual([p.layout, p.width, p.height, p.channels], ['NCHW', 640, 480, 3]);
  });

  it('treats null and non-positive dims as dynamic', () => {
    throwsCode(() => resolvePreprocessing(input([null, 3, -1, 0])), 'INPUT_SIZE_REQUIRED');
  });

  it('infers NHWC from [1,224,224,3]', () => {
    const p = resolvePreprocessing(input([1, 224, 224, 3]));
    assert.deepEqual([p.layout, p.width, p.height, p.channels], ['NHWC', 224, 224, 3]);
    assert.deepEqual(imageDims(p), [224, 224, 3]);
  });

  it('infers 1 channel from [1,1,28,28] and [1,28,28,1]', () => {
    assert.deepEqual(pick(resolvePreprocessing(input([1, 1, 28, 28])), ['layout', 'channels']), { layout: 'NCHW', channels: 1 });
    assert.deepEqual(pick(resolvePreprocessing(input([1, 28, 28, 1])), ['layout', 'channels']), { layout: 'NHWC', channels: 1 });
  });

  it('refuses a rank-3 tensor as not an image', () => {
    const error = throwsCode(() => resolvePreprocessing(input([3, 224, 224])), 'INPUT_NOT_IMAGE');
    assert.match(error.message, /rank 3/);
    assert.match(error.message, /not an image tensor/);
  });

  it('refuses integer inputs', () => {
    throwsCode(() => resolvePreprocessing(input([1, 3, 224, 224], 'uint8')), 'INPUT_NOT_IMAGE');
    assert.equal(resolvePreprocessing(input([1, 3, 224, 224], 'float16')).width, 224);
  });

  it('asks for --layout when neither dim 1 nor dim 3 holds 1, 3 or 4 channels', () => {
    const error = throwsCode(() => resolvePreprocessing(input([1, 5, 224, 224])), 'INPUT_LAYOUT');
    assert.match(error.subject.hint ?? '', /--layout/);
  });

  it('rejects flags that contradict static dims', () => {
    throwsCode(() => resolvePreprocessing(input([1, 3, 224, 224]), { size: '320x240' }), 'PREPROCESSING_CONFLICT');
    throwsCode(() => resolvePreprocessing(input([1, 3, 224, 224]), { layout: 'NHWC' }), 'INPUT_LAYOUT');
    throwsCode(() => resolvePreprocessing(input([1, 3, 224, 224]), { channels: 1 }), 'PREPROCESSING_CONFLICT');
    assert.equal(resolvePreprocessing(input([1, 3, 224, 224]), { size: '224x224' }).width, 224);
  });

  it('takes an explicit layout for fully dynamic dims', () => {
    const p = resolvePreprocessing(input(['N', 'H', 'W', 'C']), { layout: 'nhwc', size: '96x64' });
    assert.deepEqual([p.layout, p.width, p.height, p.channels], ['NHWC', 96, 64, 3]);
  });

  it('fills each preset', () => {
    const dims = [1, 3, 224, 224];
    const imagenet = resolvePreprocessing(input(dims), { preset: 'imagenet' });
    assert.deepEqual(pick(imagenet, ['resize', 'scale', 'mean', 'std', 'channelOrder', 'cropFraction']), {
      resize: 'crop', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'rgb', cropFraction: 0.875,
    });
    const yolo = resolvePreprocessing(input(dims), { preset: 'yolo' });
    assert.deepEqual(pick(yolo, ['resize', 'padValue', 'scale', 'mean', 'std']), {
      resize: 'letterbox', padValue: 114, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1],
    });
    const symmetric = resolvePreprocessing(input(dims), { preset: 'symmetric' });
    assert.deepEqual(pick(symmetric, ['resize', 'scale', 'mean', 'std']), {
      resize: 'stretch', scale: 1, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5],
    });
    assert.deepEqual(pick(resolvePreprocessing(input(dims), { preset: 'unit' }), ['resize', 'scale']), { resize: 'stretch', scale: 1 / 255 });
    assert.deepEqual(pick(resolvePreprocessing(input(dims), { preset: 'raw' }), ['scale', 'mean', 'std']), {
      scale: 1, mean: [0, 0, 0], std: [1, 1, 1],
    });
  });

  it('lets explicit options override the preset', () => {
    const p = resolvePreprocessing(input([1, 3, 112, 112]), {
      preset: 'symmetric', mean: '127', std: 128, scale: '1', resize: 'letterbox', padValue: '0', channelOrder: 'BGR',
    });
    assert.deepEqual(pick(p, ['preset', 'mean', 'std', 'scale', 'resize', 'padValue', 'channelOrder']), {
      preset: 'symmetric', mean: [127, 127, 127], std: [128, 128, 128], scale: 1, resize: 'letterbox', padValue: 0, channelOrder: 'bgr',
    });
    assert.equal(resolvePreprocessing(input([1, 3, 8, 8]), { scale: '1/255', preset: 'raw' }).scale, 1 / 255);
  });

  it('puts preset mean/std in tensor order for bgr, but keeps explicit ones as given', () => {
    const bgr = resolvePreprocessing(input([1, 3, 8, 8]), { preset: 'imagenet', channelOrder: 'bgr' });
    assert.deepEqual(bgr.mean, [0.406, 0.456, 0.485]);
    assert.deepEqual(bgr.std, [0.225, 0.224, 0.229]);
    const given = resolvePreprocessing(input([1, 3, 8, 8]), { channelOrder: 'bgr', mean: '103.9,116.8,123.7', std: 58, scale: 1 });
    assert.deepEqual(given.mean, [103.9, 116.8, 123.7]);
  });

  it('validates option values with parameter-style messages', () => {
    const error = throwsCode(() => resolvePreprocessing(input([1, 3, 8, 8]), { preset: 'vgg' }), 'INVALID_PARAMETER');
    assert.equal(error.message, 'Expected one of imagenet, yolo, yolo-cls, yolox, unit, symmetric, raw for preset but received "vgg" of type string');
    throwsCode(() => resolvePreprocessing(input([1, 3, 8, 8]), { std: '0.2,0,0.2' }), 'INVALID_PARAMETER');
    throwsCode(() => resolvePreprocessing(input([1, 3, 8, 8]), { padValue: 300 }), 'INVALID_PARAMETER');
    throwsCode(() => resolvePreprocessing(input([1, 3, 8, 8]), { resize: 'squash' }), 'INVALID_PARAMETER');
  });

  it('is plain JSON data that checkPreprocessing reads back', () => {
    const p = resolvePreprocessing(input([1, 3, 240, 320]), { preset: 'yolo' });
    const back = checkPreprocessing(JSON.parse(JSON.stringify(p)));
    assert.deepEqual(back, p);
    throwsCode(() => checkPreprocessing({ ...p, layout: 'CHW' }), 'INVALID_PARAMETER');
    throwsCode(() => checkPreprocessing({ ...p, channels: 2 }), 'INVALID_PARAMETER');
  });
});

describe('describePreprocessing', () => {
  it('says everything in one line', () => {
    const line = describePreprocessing(resolvePreprocessing(input([1, 3, 224, 224]), { preset: 'imagenet' }));
    assert.equal(line, 'imagenet: NCHW 3x224x224 rgb, crop 224x224 (cover 256x256), linear, value = (x/255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]');
    const yolo = describePreprocessing(resolvePreprocessing(input([1, 640, 640, 3]), { preset: 'yolo' }));
    assert.equal(yolo, 'yolo: NHWC 640x640x3 rgb, letterbox 640x640 (pad 114), linear, value = x/255');
    const sym = describePreprocessing(resolvePreprocessing(input([1, 3, 240, 320]), { preset: 'symmetric' }));
    assert.equal(sym, 'symmetric: NCHW 3x240x320 rgb, stretch to 320x240, linear, value = (x - 127.5) / 127.5');
  });
});

describe('option parsing', () => {
  it('parses sizes', () => {
    assert.deepEqual(parseSize('640x480'), { width: 640, height: 480 });
    assert.deepEqual(parseSize('640X480'), { width: 640, height: 480 });
    assert.deepEqual(parseSize('224'), { width: 224, height: 224 });
    assert.deepEqual(parseSize({ width: 3, height: 2 }), { width: 3, height: 2 });
    assert.throws(() => parseSize('640x'), {
      message: 'Expected a size WxH in positive integers, e.g. 640x480 for size but received "640x" of type string',
    });
    assert.throws(() => parseSize('0x10'), /positive integers/);
    assert.throws(() => parseSize(-3), /received -3 of type number/);
  });

  it('parses one or three numbers', () => {
    assert.deepEqual(parseTriple('0.485,0.456,0.406', 'mean'), [0.485, 0.456, 0.406]);
    assert.deepEqual(parseTriple('0.5 0.25 1', 'mean'), [0.5, 0.25, 1]);
    assert.deepEqual(parseTriple('127.5', 'mean'), [127.5, 127.5, 127.5]);
    assert.deepEqual(parseTriple([2], 'std'), [2, 2, 2]);
    assert.throws(() => parseTriple('1,2', 'mean'), {
      message: 'Expected one or three numbers, e.g. 0.485,0.456,0.406 for mean but received "1,2" of type string',
    });
    assert.throws(() => parseTriple('1,x,3', 'mean'), /one or three numbers/);
    assert.throws(() => parseTriple('', 'mean'), /one or three numbers/);
    assert.throws(() => parseTriple([1, 0, 1], 'std', { nonZero: true }), /non-zero/);
  });

  it('parses numbers and fractions', () => {
    assert.equal(parseNumber('1/255', 'scale', { positive: true }), 1 / 255);
    assert.equal(parseNumber(' 0.5 ', 'scale'), 0.5);
    assert.throws(() => parseNumber('', 'scale'), /Expected a number for scale/);
    assert.throws(() => parseNumber('1/0', 'scale', { positive: true }), /positive number/);
    assert.throws(() => parseNumber(256, 'padValue', { min: 0, max: 255 }), {
      message: 'Expected a number between 0 and 255 for padValue but received 256 of type number',
    });
  });
});

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
