import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int8calError } from '../../src/core/errors.js';
import { OnnxRuntimeEngine } from '../../src/engines/onnxruntime.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/model-file.js';
import { topologicalOrder } from '../../src/onnx/graph.js';
import { model } from '../support/paths.js';
import { python } from '../support/python.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-onnx-'));
test.after(() => rm(work, { recursive: true, force: true }));

const SAMPLES = ['ch_PP-OCRv4_det_infer.onnx', 'ch_PP-OCRv4_rec_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', 'fr_detect.onnx', 'fr_expression.onnx', 'fr_feature.onnx'];
const SAME = 'import sys, onnx; a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2]); print("same" if a == b else "different")';

test('every sample model (IR 4–8, opset 9–11) round-trips: onnx sees the same protobuf', async () => {
  for (const file of SAMPLES) {
    const copy = join(work, file);
    await saveModel(await loadModel(model(file)), copy);
    assert.equal((await python(SAME, [model(file), copy])).trim(), 'same', file);
  }
});

test('IR 10 / opset 21 and IR 6 / opset 9 models made by onnx itself round-trip', async () => {
  const make = `
import sys, onnx
from onnx import helper, TensorProto, numpy_helper
import numpy as np
ir, opset, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
w = numpy_helper.from_array(np.arange(8 * 3 * 3 * 3, dtype=np.float32).reshape(8, 3, 3, 3) / 100, 'w')
g = helper.make_graph([helper.make_node('Conv', ['x', 'w'], ['c'], name='conv', pads=[1, 1, 1, 1]), helper.make_node('Relu', ['c'], ['y'], name='relu')],
  'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 16, 16])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 8, 16, 16])], [w])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)], ir_version=ir)
m.metadata_props.add(key='author', value='int8cal test')
onnx.save(m, out)`;
  for (const [ir, opset] of [[10, 21], [6, 9], [8, 13]] as const) {
    const original = join(work, `made-ir${ir}.onnx`);
    const copy = join(work, `made-ir${ir}-copy.onnx`);
    await python(make, [String(ir), String(opset), original]);
    await saveModel(await loadModel(original), copy);
    assert.equal((await python(SAME, [original, copy])).trim(), 'same', `IR ${ir} opset ${opset}`);
  }
});

test('external-data initializers are inlined on load; a missing data file is a clear error', async () => {
  const dir = await mkdtemp(join(work, 'ext-'));
  const external = join(dir, 'fr_detect.onnx');
  await python('import sys, onnx; onnx.save_model(onnx.load(sys.argv[1]), sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)', [model('fr_detect.onnx'), external]);
  const inlined = await loadModel(external);
  assert.ok(inlined.graph!.initializer!.every((t) => t.dataLocation !== 1));
  const input = { input: { type: 'float32', data: new Float32Array(3 * 240 * 320).fill(0.25), dims: [1, 3, 240, 320] } };
  await using a = await OnnxRuntimeEngine.create(model('fr_detect.onnx'));
  await using b = await OnnxRuntimeEngine.create(encodeModel(inlined));
  assert.deepEqual((await b.run(input)).scores!.data, (await a.run(input)).scores!.data);
  await unlink(join(dir, 'weights.bin'));
  await assert.rejects(loadModel(external), (e: unknown) => e instanceof Int8calError && e.code === 'MODEL_EXTERNAL_DATA' && /weights\.bin/.test(e.message));
});

test('random bytes and a truncated model are MODEL_LOAD errors naming the file', async () => {
  const junk = join(work, 'junk.onnx');
  await writeFile(junk, Buffer.from('this is not a protobuf at all, just text\n'.repeat(20)));
  await assert.rejects(loadModel(junk), (e: unknown) => e instanceof Int8calError && e.code === 'MODEL_LOAD' && e.message.includes(junk));
  const bytes = await readFile(model('fr_detect.onnx'));
  assert.throws(() => decodeModel(bytes.subarray(0, bytes.length / 2), 'half.onnx'), (e: unknown) => e instanceof Int8calError && /half\.onnx/.test(e.message));
});

test('topological order does not trust the file\'s node order', async () => {
  const m = await loadModel(model('fr_detect.onnx'));
  const reversed = { ...m.graph!, node: [...m.graph!.node!].reverse() };
  const order = topologicalOrder(reversed);
  const produced = new Set([...(m.graph!.input ?? []).map((i) => i.name), ...(m.graph!.initializer ?? []).map((t) => t.name)]);
  for (const node of order) {
    for (const input of node.input ?? []) if (input) assert.ok(produced.has(input), `${node.name} reads ${input} before it is produced`);
    for (const output of node.output ?? []) produced.add(output);
  }
  assert.equal(order.length, m.graph!.node!.length);
});
