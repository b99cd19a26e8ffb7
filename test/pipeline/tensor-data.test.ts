/**
 * `--data` as tensors: .npy/.npz written by numpy itself, fed to a real sample model (the same
 * preprocessed photos as an image folder must give the same scales) and to a 2-input model
 * that images could not calibrate at all.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listImages, readBatches, resolvePreprocessing } from '../../datasets/images/index.js';
import { readTensorFile } from '../../datasets/tensors/index.js';
import { Int8calError } from '../../src/core/errors.js';
import { encodeModel } from '../../src/onnx/model-file.js';
import { DataType } from '../../src/onnx/proto.js';
import { build } from '../../src/pipeline/build.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { evaluate } from '../../src/pipeline/evaluate/index.js';
import { TensorBatchSource } from '../../src/pipeline/tensor-source.js';
import { randomFloats, tinyModel, valueInfo } from '../onnx/helpers/tiny-model.js';
import { model, samples } from '../support/paths.js';
import { python } from '../support/python.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-tensors-'));
after(() => rm(work, { recursive: true, force: true }));

/** Writes float32 arrays with numpy: `how` is "save" (.npy, one array), "savez" or "savez_compressed". */
async function numpyWrite(file: string, how: 'save' | 'savez' | 'savez_compressed', arrays: Record<string, { data: Float32Array; shape: number[]; dtype?: string }>): Promise<string> {
  const specs = await Promise.all(Object.entries(arrays).map(async ([name, a], i) => {
    const raw = join(work, `${name}-${i}.f32`);
    await writeFile(raw, a.data);
    return { name, raw, shape: a.shape, dtype: a.dtype ?? 'float32' };
  }));
  await python(`
import json, sys, numpy as np
file, how, specs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
arrays = {s['name']: np.fromfile(s['raw'], dtype=np.float32).reshape(s['shape']).astype(s['dtype']) for s in specs}
if how == 'save': np.save(file, next(iter(arrays.values())))
else: getattr(np, how)(file, **arrays)
`, [file, how, JSON.stringify(specs)]);
  return file;
}

/** A 2-input model: image-like a [N,3,16,16] → Conv → Relu, plus a per-channel offset b [N,4,1,1] → Conv 1x1 → y. */
function twoInputModel(): Uint8Array {
  const w1 = { name: 'w1', dataType: DataType.FLOAT, dims: [4, 3, 3, 3], floatData: [...randomFloats(108, 3, 0.5)] };
  const w2 = { name: 'w2', dataType: DataType.FLOAT, dims: [2, 4, 1, 1], floatData: [...randomFloats(8, 5, 0.5)] };
  return encodeModel(tinyModel({
    opset: 13,
    inputs: [valueInfo('a', ['N', 3, 16, 16]), valueInfo('b', ['N', 4, 1, 1])],
    outputs: [valueInfo('y', ['N', 2, 16, 16])],
    initializers: [w1, w2],
    nodes: [
      { opType: 'Conv', input: ['a', 'w1'], output: ['c1'], name: 'conv1', attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] },
      { opType: 'Relu', input: ['c1'], output: ['r1'], name: 'relu1' },
      { opType: 'Add', input: ['r1', 'b'], output: ['s'], name: 'add' },
      { opType: 'Conv', input: ['s', 'w2'], output: ['y'], name: 'conv2' },
    ],
  }));
}

describe('tensor data (.npy / .npz)', () => {
  it('a .npy of preprocessed real photos calibrates fr_feature exactly like the photos themselves', async () => {
    const faces = (await listImages(samples('faces', 'calibration'))).slice(0, 4);
    const options = { scale: 1, mean: 127, std: 128 };
    const spec = resolvePreprocessing({ name: 'input', dims: [1, 3, 112, 112], elementType: 'float32' }, options);
    const batch = (await readBatches(faces, spec, { batchSize: 4 }).next()).value;
    assert.ok(batch && 'data' in batch);
    const npy = await numpyWrite(join(work, 'faces.npy'), 'save', { input: { data: batch.data, shape: [4, 3, 112, 112] } });

    const fromImages = join(work, 'feature-images');
    const fromTensors = join(work, 'feature-tensors');
    const dir = join(work, 'faces');
    await rm(dir, { recursive: true, force: true });
    await python('import sys, os, shutil; os.makedirs(sys.argv[1]); [shutil.copy(f, sys.argv[1]) for f in sys.argv[2:]]', [dir, ...faces]);
    await calibrate({ model: model('fr_feature.onnx'), data: dir, out: fromImages, ...options });
    const summary = await calibrate({ model: model('fr_feature.onnx'), data: npy, out: fromTensors });
    assert.equal(summary.images, 4);
    assert.deepEqual(await readFile(join(fromTensors, 'calibration.cache')), await readFile(join(fromImages, 'calibration.cache')), 'same tensors, same scales');
    const run = JSON.parse(await readFile(join(fromTensors, 'run.json'), 'utf8'));
    assert.deepEqual([run.preprocessing, run.inputs, run.calibration.samples, run.calibration.data], [undefined, ['input'], 4, npy]);
  });

  it('a .npz calibrates, builds and evaluates a 2-input model, each input from its own array', async () => {
    const modelFile = join(work, 'two-inputs.onnx');
    await writeFile(modelFile, twoInputModel());
    const arrays = (n: number, seed: number) => ({
      a: { data: randomFloats(n * 3 * 16 * 16, seed), shape: [n, 3, 16, 16] },
      b: { data: randomFloats(n * 4, seed + 1, 2), shape: [n, 4, 1, 1] },
    });
    const calibration = await numpyWrite(join(work, 'calibration.npz'), 'savez_compressed', arrays(10, 11));
    const evaluation = await numpyWrite(join(work, 'evaluation.npz'), 'savez', arrays(4, 21));
    const out = join(work, 'two');
    const summary = await calibrate({ model: modelFile, data: calibration, out, batchSize: 4 });
    assert.equal(summary.images, 10);
    const scales = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8')).tensors;
    // b is in [-2, 2): its range comes from its own array, not from a's.
    assert.ok(scales.b.absMax > 1.5 && scales.b.absMax <= 2, `b absMax ${scales.b.absMax}`);
    assert.ok(scales.a.absMax <= 1, `a absMax ${scales.a.absMax}`);
    // The TensorRT placement quantizes both Convs; ort-cpu keeps such shallow Convs in float, so
    // its variant is under the coverage floor and only the TensorRT placement is built.
    await build({ run: out, targets: ['tensorrt'] });
    const results = await evaluate({ run: out, data: evaluation, iterations: 2, task: 'none' });
    assert.deepEqual(results.evaluation.images, ['evaluation.npz#0', 'evaluation.npz#1', 'evaluation.npz#2', 'evaluation.npz#3']);
    assert.match(results.preprocessing, /tensors given directly \(a, b\)/);
    const psnr = results.variants.find((x) => x.name === 'int8')!.outputs[0]!.psnr!.value;
    assert.ok(typeof psnr === 'number' && psnr > 25 && psnr < 80, `int8 PSNR ${String(psnr)}`);
    await assert.rejects(evaluate({ run: out, data: samples('lfw', 'evaluation'), iterations: 1, task: 'none' }),
      (e: Int8calError) => e.code === 'EVAL_DATA_KIND' && /evaluate with tensors too: --data EVAL.npz/.test(e.subject.hint ?? ''));
  });

  it('the library takes a batch source of its own', async () => {
    const modelFile = join(work, 'two-inputs.onnx');
    const arrays = await readTensorFile(join(work, 'calibration.npz'));
    const out = join(work, 'source');
    const summary = await calibrate({ model: modelFile, source: new TensorBatchSource(arrays, 5), out });
    assert.equal(summary.images, 10);
    const fromFile = join(work, 'two');
    assert.deepEqual(await readFile(join(out, 'calibration.cache')), await readFile(join(fromFile, 'calibration.cache')));
  });

  it('names the file and input on a wrong dtype, shape or a missing array', async () => {
    const modelFile = join(work, 'two-inputs.onnx');
    const calib = (data: string) => calibrate({ model: modelFile, data, out: join(work, 'bad') });
    const double = await numpyWrite(join(work, 'double.npz'), 'savez', {
      a: { data: randomFloats(2 * 768, 1), shape: [2, 3, 16, 16], dtype: 'float64' }, b: { data: randomFloats(8, 2), shape: [2, 4, 1, 1] },
    });
    await assert.rejects(calib(double), (e: Int8calError) => {
      assert.equal(e.message, `${double} array a is float64 (<f8), but input "a" takes float32`);
      assert.equal(e.subject.hint, 'save it as float32: array.astype(numpy.float32)');
      return e.code === 'TENSOR_DTYPE' && e.subject.tensor === 'a' && e.subject.file === double;
    });
    const small = await numpyWrite(join(work, 'small.npz'), 'savez', {
      a: { data: randomFloats(2 * 192, 1), shape: [2, 3, 8, 8] }, b: { data: randomFloats(8, 2), shape: [2, 4, 1, 1] },
    });
    await assert.rejects(calib(small), (e: Int8calError) => e.code === 'TENSOR_SHAPE' && e.message === `${small} array a has shape [2, 3, 8, 8], but input "a" is [N, 3, 16, 16]`);
    const missing = await numpyWrite(join(work, 'missing.npz'), 'savez', { a: { data: randomFloats(2 * 768, 1), shape: [2, 3, 16, 16] } });
    await assert.rejects(calib(missing), (e: Int8calError) => e.code === 'TENSOR_INPUT_MISSING' &&
      e.message === `${missing} has no array for input "b" of ${modelFile} (arrays: a)` && /numpy\.savez\(FILE, \*\*\{"a": …, "b": …\}\)/.test(e.subject.hint ?? ''));
    const garbage = join(work, 'garbage.npy');
    await writeFile(garbage, 'not numpy');
    await assert.rejects(calib(garbage), (e: Int8calError) => e.code === 'TENSOR_FILE' && e.subject.file === garbage);
  });
});
