import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { inspect } from '../../src/pipeline/inspect.js';
import { model, repoRoot } from '../support/paths.js';

const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const run = promisify(execFile);

test('inspect on the PaddleOCR detector: dynamic dims, opset 11, and a clear "needs --size"', async () => {
  const r = await inspect(model('ch_PP-OCRv4_det_infer.onnx'));
  assert.equal(r.opsets[''], 11);
  assert.equal(r.inputs.length, 1);
  assert.equal(r.inputs[0]!.name, 'x');
  assert.equal(r.inputs[0]!.elementType, 'float32');
  assert.equal(r.inputs[0]!.dims[1], 3);
  assert.equal(typeof r.inputs[0]!.dims[2], 'string', 'H is symbolic');
  assert.deepEqual(r.outputs.map((o) => o.name), ['sigmoid_0.tmp_0']);
  assert.ok(r.opTypes.Conv! > 50);
  assert.ok(r.parameterBytes > 4e6 && r.parameterBytes < 6e6, `${r.parameterBytes} bytes`);
  assert.ok('error' in r.preprocessing && /--size/.test(`${r.preprocessing.error} ${r.preprocessing.hint}`));
  const sized = await inspect(model('ch_PP-OCRv4_det_infer.onnx'), { size: '640x640' });
  assert.ok(!('error' in sized.preprocessing));
  assert.deepEqual([sized.preprocessing.spec.width, sized.preprocessing.spec.height, sized.preprocessing.spec.layout], [640, 640, 'NCHW']);
});

test('inspect on fr_detect: static 320x240 input, two outputs, opset 9, the boxes-scores head guessed', async () => {
  const r = await inspect(model('fr_detect.onnx'));
  assert.equal(r.opsets[''], 9);
  assert.deepEqual(r.inputs, [{ name: 'input', elementType: 'float32', dims: [1, 3, 240, 320] }]);
  assert.deepEqual(r.outputs.map((o) => [o.name, o.dims]), [['scores', [1, 4420, 2]], ['boxes', [1, 4420, 4]]]);
  assert.ok(!('error' in r.preprocessing));
  assert.deepEqual([r.preprocessing.spec.width, r.preprocessing.spec.height], [320, 240]);
  assert.equal(r.preprocessing.preset.preset, 'imagenet');
  assert.match(r.preprocessing.preset.reason, /^nothing in the model records its preprocessing; imagenet/);
  assert.deepEqual([r.detector?.detector, r.detector?.outputs], ['boxes-scores', ['boxes', 'scores']]);
  assert.equal((await inspect(model('fr_expression.onnx'))).detector, undefined, 'a classifier has no detector head');
});

test('inspect on a YOLOv8 exported with dynamic H×W (zoo nudenet): the head is guessed once --size fixes the output dims', { skip: !existsSync(model('zoo/nudenet_320n.onnx')) && 'the zoo is not installed (npm run datasets)' }, async () => {
  const unsized = await inspect(model('zoo/nudenet_320n.onnx'));
  assert.equal(typeof unsized.outputs[0]!.dims[2], 'string', 'the cells dim is symbolic');
  assert.equal(unsized.detector, undefined);
  const r = await inspect(model('zoo/nudenet_320n.onnx'), { size: '320x320' });
  assert.deepEqual([r.detector?.detector, r.detector?.outputs, r.detector?.classes], ['yolov8', ['output0'], 18]);
  assert.match(r.detector!.reason, /\[batch, 22, 2100\]/);
});

test('inspect says which preset and why, and shows the units trap with its fix', async () => {
  const text = (await run('node', [cli, 'inspect', model('fr_detect.onnx'), '--preset', 'symmetric'])).stdout;
  assert.match(text, /\n  preset symmetric: given with --preset\n/);
  const trap = (await run('node', [cli, 'inspect', model('fr_detect.onnx'), '--mean', '127', '--std', '128'])).stdout;
  assert.ok(trap.includes('cannot infer: Input "input": mean 127 and std 128 do not fit the imagenet preset\'s scale 1/255 (pixel · scale in [0, 1]): ' +
    'mean 127 lies outside that range, so every input value would be in [-0.992, -0.984]\n  hint: they look like 0–255 pixel units: add --scale 1'), trap);
  const fixed = (await run('node', [cli, 'inspect', model('fr_detect.onnx'), '--mean', '127', '--std', '128', '--scale', '1'])).stdout;
  assert.match(fixed, /input: imagenet: NCHW 3x240x320 rgb, crop 320x240 .*value = \(x - 127\) \/ 128/);
});

test('the CLI: --help lists the whole pipeline; inspect --json; bad files exit non-zero with the file named', async () => {
  const help = (await run('node', [cli, '--help'])).stdout;
  for (const command of ['calibrate', 'build', 'evaluate', 'report', 'run', 'inspect']) assert.match(help, new RegExp(`\\n  ${command}\\b`));
  const json = JSON.parse((await run('node', [cli, 'inspect', model('fr_detect.onnx'), '--json'])).stdout);
  assert.equal(json.inputs[0].name, 'input');
  await assert.rejects(run('node', [cli, 'inspect', join(repoRoot, 'package.json')]), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /package\.json is not a valid ONNX model/);
    return true;
  });
});
