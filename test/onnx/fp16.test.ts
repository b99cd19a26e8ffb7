import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildFp16 } from '../../src/onnx/fp16/index.js';
import { encodeModel, saveModel } from '../../src/onnx/model-file.js';
import { DataType } from '../../src/onnx/proto.js';
import { intAttr, makeNode, stringAttr } from '../../src/onnx/upgrade/nodes.js';
import { float16ToFloat, float32Tensor, floatToFloat16, floatValues } from '../../src/onnx/upgrade/tensors.js';
import { pooledPsnr } from './helpers/accuracy.js';
import { imageFeeds } from './helpers/images.js';
import { checkWithOnnx } from './helpers/onnx-checker.js';
import { preparedModel } from './helpers/prepared.js';
import { modelPath, photos, SAMPLE_MODELS } from './helpers/sample-models.js';
import { floatFeed, randomFloats, runModel, tinyModel, valueInfo } from './helpers/tiny-model.js';

const dir = await mkdtemp(join(tmpdir(), 'int8cal-fp16-'));
after(() => rm(dir, { recursive: true, force: true }));

const toHalf = (v: number) => float16ToFloat(floatToFloat16(v));

/** x → Conv(w, b) → Relu → Resize(scales) → y, plus Shape(x) as an int64 output. */
function smallModel() {
  return tinyModel({
    opset: 13,
    inputs: [valueInfo('x', [1, 2, 4, 4])],
    outputs: [valueInfo('y', [1, 3, 8, 8]), valueInfo('s', [4], DataType.INT64)],
    initializers: [float32Tensor('w', randomFloats(18, 3, 0.7), [3, 2, 1, 3]),
      float32Tensor('b', [0.1, 1e-5, 70000]), float32Tensor('scales', [1, 1, 2, 2])],
    nodes: [
      makeNode({ opType: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attributes: [{ name: 'pads', type: 7, ints: [0, 1, 0, 1] }] }),
      makeNode({ opType: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] }),
      makeNode({ opType: 'Resize', name: 'resize', inputs: ['r', '', 'scales'], outputs: ['y'], attributes: [stringAttr('mode', 'nearest')] }),
      makeNode({ opType: 'Shape', name: 'shape', inputs: ['x'], outputs: ['s'] }),
    ],
  });
}

describe('buildFp16 on a small model', () => {
  const model = smallModel();
  const half = buildFp16(model);
  const initializers = new Map(half.graph!.initializer!.map((t) => [t.name!, t]));

  test('weights are stored as float16 and cast back to float32; parameters stay float32', () => {
    assert.equal(initializers.get('w_fp16')?.dataType, DataType.FLOAT16);
    assert.equal(initializers.get('b_fp16')?.dataType, DataType.FLOAT16);
    assert.equal(initializers.get('scales')?.dataType, DataType.FLOAT, 'Resize scales are a parameter, not a weight');
    assert.ok(!initializers.has('w') && !initializers.has('b'));
    const cast = half.graph!.node!.find((n) => n.output?.[0] === 'w')!;
    assert.equal(cast.opType, 'Cast');
    assert.deepEqual(cast.attribute, [intAttr('to', DataType.FLOAT)]);
    // Out-of-range weights saturate to the largest float16 instead of becoming infinite.
    assert.deepEqual([...floatValues(initializers.get('b_fp16')!)], [toHalf(0.1), toHalf(1e-5), 65504]);
  });

  test('graph inputs and outputs keep float32; int64 tensors are not rounded', () => {
    assert.deepEqual(half.graph!.input!.map((i) => i.type?.tensorType?.elemType), [DataType.FLOAT]);
    assert.deepEqual(half.graph!.output!.map((o) => [o.name, o.type?.tensorType?.elemType]), [['y', DataType.FLOAT], ['s', DataType.INT64]]);
    assert.ok(!half.graph!.node!.some((n) => n.opType === 'Cast' && n.input![0] === 's'));
  });

  test('activations are rounded to float16 between ops', async () => {
    const feeds = { x: floatFeed(randomFloats(32, 9, 3), [1, 2, 4, 4]) };
    const [full, rounded] = [await runModel(model, feeds), await runModel(half, feeds, 'full')];
    const y = rounded.y!.data as Float32Array;
    assert.ok(y.every((v) => toHalf(v) === v), 'every output value is a float16 value');
    assert.deepEqual([...rounded.s!.data as BigInt64Array], [1n, 2n, 4n, 4n]);
    // Channels 0 and 1 (channel 2's bias saturates on purpose).
    const reference = (full.y!.data as Float32Array).subarray(0, 128);
    const peak = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(reference.some((v, i) => v !== y[i]), 'rounding is not optimized away');
    assert.ok(reference.every((v, i) => Math.abs(v - y[i]!) <= 2e-3 * peak + 1e-3), 'close to fp32');
    const path = join(dir, 'small.fp16.onnx');
    await saveModel(half, path);
    await checkWithOnnx(path);
  });

  test('deterministic', () => {
    assert.deepEqual(encodeModel(buildFp16(smallModel())), encodeModel(half));
  });
});

describe('buildFp16 on the sample models', () => {
  for (const m of SAMPLE_MODELS) {
    test(`${m.name}: valid, and close to fp32 on real photos`, async (t) => {
      const fp32 = await preparedModel(modelPath(m));
      const half = buildFp16(fp32);
      const path = join(dir, `${m.file}.fp16.onnx`);
      await saveModel(half, path);
      await checkWithOnnx(path);
      const feeds = await imageFeeds(await photos(m.evaluation, 8), m.input, m.spec);
      const reference: Float32Array[] = [];
      const test16: Float32Array[] = [];
      for (const feed of feeds) {
        reference.push(Object.values(await runModel(fp32, feed, 'portable'))[0]!.data as Float32Array);
        test16.push(Object.values(await runModel(half, feed, 'portable'))[0]!.data as Float32Array);
      }
      const psnr = pooledPsnr(reference, test16);
      t.diagnostic(`pooled PSNR of the first output over ${feeds.length} photos: ${psnr.toFixed(1)} dB`);
      // The accuracy floor for PaddleOCR det is 45 dB; the others get the same bar here.
      assert.ok(psnr >= 40, `PSNR ${psnr}`);
      if (m.file === 'ch_PP-OCRv4_det_infer.onnx') assert.ok(psnr >= 45, `PaddleOCR det fp16 PSNR ${psnr} < 45 dB`);
    });
  }
});
