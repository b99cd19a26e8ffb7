/**
 * Fault matrix, models: files that aren't models, models ONNX Runtime can't run, inputs that
 * aren't one image batch, outputs full of NaN. Each through the CLI (exit code, message naming
 * the file/tensor/node, hint) and with the run directory left clean.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { Int8calError } from '../../src/core/errors.js';
import { assertCleanRunDir, assertNoCrash, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { externalDataSpec, nanSpec, reluSpec, twoInputSpec, unknownOpSpec, writeModel } from '../support/faults-models.js';
import { model as sampleModel, samples } from '../support/paths.js';
import { AttributeType, DataType } from '../../src/onnx/proto.js';

const { dir: work, cleanup } = await tempFolder('models');
test.after(cleanup);

const data = samples('scenes', 'calibration');
let runs = 0;
const nextRun = () => join(work, `run-${++runs}`);

/** `int8cal calibrate` of `model` on 2 photos into a fresh run directory; asserts the directory stays clean. */
async function calibrateCli(model: string, ...extra: string[]) {
  const out = nextRun();
  const result = await cli(['calibrate', '--model', model, '--data', data, '--out', out, '--max-images', '2', '--batch-size', '2', ...extra]);
  return { result, out };
}

async function failsCleanly(model: string, mentions: (string | RegExp)[], ...extra: string[]): Promise<string> {
  const { result, out } = await calibrateCli(model, ...extra);
  assertUserError(result, mentions);
  assert.deepEqual(await assertCleanRunDir(out), [], 'nothing written');
  return result.stderr;
}

test('random bytes named .onnx: refused by calibrate and inspect, naming the file', async () => {
  const file = join(work, 'random.onnx');
  // Deterministic junk that protobuf can't parse as a model.
  await writeFile(file, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251)));
  await failsCleanly(file, [file, 'is not a valid ONNX model', 'not truncated, not a different format']);
  assertUserError(await cli(['inspect', file]), [file, 'is not a valid ONNX model']);
  const text = join(work, 'readme.onnx');
  await writeFile(text, 'This is not a model, it is a README.\n');
  assertUserError(await cli(['inspect', text]), [text, 'is not a valid ONNX model']);
});

test('a truncated model: refused naming the file (half, a few bytes, empty)', async () => {
  const full = await readFile(sampleModel('fr_detect.onnx'));
  for (const [name, length] of [['half', full.length >> 1], ['head', 7], ['empty', 0]] as const) {
    const file = join(work, `fr_detect-${name}.onnx`);
    await writeFile(file, full.subarray(0, length));
    await failsCleanly(file, [file, 'is not a valid ONNX model']);
  }
});

test('an op ONNX Runtime does not know: names the model, the op and the node', async () => {
  const file = await writeModel(join(work, 'unknown-op.onnx'), unknownOpSpec());
  await failsCleanly(file, [file, 'FrobnicateV7', 'node: mystery_node', 'standard ONNX ops']);
});

test('an external-data model whose data file is missing: names the data file and the initializer', async () => {
  const file = await writeModel(join(work, 'external.onnx'), externalDataSpec('external.weights'));
  await failsCleanly(file, [join(work, 'external.weights'), 'initializer w', 'tensor: w', 'same folder']);
  // With the data file next to it, the same model calibrates.
  await writeFile(join(work, 'external.weights'), Buffer.from(new Float32Array([0.5]).buffer));
  const summary = await calibrate({ model: file, data, out: nextRun(), maxImages: 2, batchSize: 2 });
  assert.equal(summary.images, 2);
});

test('dynamic height/width without --size: asks for --size, naming the input; with it, calibrates', async () => {
  const file = await writeModel(join(work, 'dynamic.onnx'), reluSpec({ name: 'pixels', dims: ['N', 3, 'H', 'W'] }));
  await failsCleanly(file, ['Input "pixels" [N, 3, H, W]', 'dynamic', '--size WxH']);
  const summary = await calibrate({ model: file, data, out: nextRun(), maxImages: 2, batchSize: 2, size: '24x20' });
  assert.equal(summary.images, 2);
});

test('several inputs: lists them and asks for --input; an unknown --input; inputs images cannot feed', async () => {
  const file = await writeModel(join(work, 'two-inputs.onnx'), twoInputSpec());
  await failsCleanly(file, [file, 'has 2 inputs', '--input NAME', 'x [N, 3, 16, 16]', 'gain [1]']);
  await failsCleanly(file, [file, 'no input named nope', 'x [N, 3, 16, 16], gain [1]'], '--input', 'nope');
  // --input picks the image input, but nothing can feed "gain": refused before any inference.
  await failsCleanly(file, [file, 'images go to input x', 'gain [1]', 'tensor: gain'], '--input', 'x');
});

test('an input that is not a float image batch (rank 3, rank 2, uint8): refused naming the input', async () => {
  const rank3 = await writeModel(join(work, 'rank3.onnx'), reluSpec({ name: 'seq', dims: [1, 16, 16] }));
  await failsCleanly(rank3, ['Input "seq" [1, 16, 16]', 'rank 3 is not an image tensor', '4-D']);
  const rank2 = await writeModel(join(work, 'rank2.onnx'), reluSpec({ name: 'features', dims: ['N', 128] }));
  await failsCleanly(rank2, ['Input "features"', 'rank 2']);
  const bytes = await writeModel(join(work, 'uint8.onnx'), {
    inputs: [{ name: 'pixels', dims: [1, 3, 16, 16], elemType: DataType.UINT8 }],
    nodes: [
      { name: 'cast', opType: 'Cast', input: ['pixels'], output: ['f'], attribute: [{ name: 'to', type: AttributeType.INT, i: DataType.FLOAT }] },
      { name: 'relu', opType: 'Relu', input: ['f'], output: ['y'] },
    ],
    outputs: ['y'],
  });
  await failsCleanly(bytes, ['Input "pixels"', 'element type uint8 is not floating point', 'float32 image input']);
});

test('a model that outputs NaN/Inf: calibrates with a note per tensor (warn and continue)', async () => {
  const file = await writeModel(join(work, 'nan.onnx'), nanSpec());
  const { result, out } = await calibrateCli(file, '--preset', 'raw');
  assert.equal(result.code, 0, result.stderr);
  assertNoCrash(result);
  assert.match(result.stdout, /note: log: \d+ NaN and \d+ Inf values, excluded from the histogram/);
  await assertCleanRunDir(out);
  const calibration = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8'));
  const log = calibration.tensors.log;
  assert.ok(log.nanCount > 0 && log.flags.includes('nan-or-inf'));
  assert.ok(Number.isFinite(log.scale) && log.scale > 0, 'a finite, positive scale');
  // Built; evaluated, NaN in the fp32 reference is an error on the reference (test/faults/trust.test.ts), not a crash.
  const build = await cli(['build', '--run', out]);
  assert.equal(build.code, 0, build.stderr);
  const evaluate = await cli(['evaluate', '--run', out, '--data', data, '--max-images', '2', '--batch-size', '2', '--iterations', '1']);
  assertUserError(evaluate, [/The fp32 reference .* is not finite: output log has \d+ NaN\/Inf value\(s\)/]);
  await assertCleanRunDir(out);
  // All-NaN: 0/0 everywhere — still a finite scale, flagged, no crash.
  const allNan = await writeModel(join(work, 'all-nan.onnx'), {
    nodes: [
      { name: 'zero', opType: 'Sub', input: ['x', 'x'], output: ['z'] },
      { name: 'nan', opType: 'Div', input: ['z', 'z'], output: ['nan'] },
    ],
    outputs: ['nan'],
  });
  const summary = await calibrate({ model: allNan, data, out: nextRun(), maxImages: 2, batchSize: 2 });
  const nan = summary.calibration.tensors.nan!;
  assert.ok(nan.nanCount === nan.count && nan.count > 0);
  assert.ok(nan.scale > 0 && Number.isFinite(nan.scale));
  assert.deepEqual([...nan.flags].sort(), ['all-zero', 'nan-or-inf']);
});

test('library: the same errors are Int8calErrors with a code, a subject and a hint', async () => {
  const file = await writeModel(join(work, 'unknown-op-lib.onnx'), unknownOpSpec());
  await assert.rejects(calibrate({ model: file, data, out: nextRun(), maxImages: 2 }), (error: unknown) => {
    assert.ok(error instanceof Int8calError, String(error));
    assert.equal(error.code, 'ENGINE_LOAD');
    assert.equal(error.subject.file, file);
    assert.equal(error.subject.node, 'mystery_node');
    return true;
  });
});
