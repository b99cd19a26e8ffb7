/**
 * ort-cpu rewrites that keep whole blocks in ONNX Runtime's integer kernels: Mul/Div by a
 * positive constant folded into a DequantizeLinear scale, and Conv → HardSigmoid rewritten as
 * Conv → Clip(0, 1). Each checked on a small model through the real ONNX Runtime.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ModelProto } from '../../src/onnx/proto.js';
import { buildInt8 } from '../../src/onnx/qdq/index.js';
import { floatAttr, intAttr, makeNode } from '../../src/onnx/upgrade/nodes.js';
import { float32Tensor } from '../../src/onnx/upgrade/tensors.js';
import { minmaxAmax } from './helpers/minmax.js';
import { assertQdqStructure, countOf, INTEGER_KERNELS, optimizedOpCounts, ORT_BITS_HERE } from './helpers/qdq-checks.js';
import { floatFeed, maxAbsDiff, randomFloats, runModel, tinyModel, valueInfo } from './helpers/tiny-model.js';

const pads = { name: 'pads', type: 7, ints: [1, 1, 1, 1] };
const conv = (name: string, x: string, w: string, b: string, y: string) =>
  makeNode({ opType: 'Conv', name, inputs: [x, w, b], outputs: [y], attributes: [intAttr('group', 1), pads] });
const node = (opType: string, name: string, inputs: string[], outputs: string[], attributes = [] as ReturnType<typeof floatAttr>[]) =>
  makeNode({ opType, name, inputs, outputs, attributes });

/**
 * x → Conv → Mul(0.5) → hardswish (Add 3, Clip 0..6, Mul, Div 6) → squeeze-excitation gate
 * (Conv → HardSigmoid, Mul) → Conv → y: the shape of MobileNetV3 / PP-LCNet blocks.
 */
function blockModel(): ModelProto {
  const c = 4;
  return tinyModel({
    opset: 13,
    inputs: [valueInfo('x', [1, c, 6, 6])], outputs: [valueInfo('y', [1, c, 6, 6])],
    initializers: [
      float32Tensor('w1', randomFloats(c * c * 9, 21, 0.4), [c, c, 3, 3]), float32Tensor('b1', randomFloats(c, 22, 0.1)),
      float32Tensor('w2', randomFloats(c * c * 9, 23, 0.4), [c, c, 3, 3]), float32Tensor('b2', randomFloats(c, 24, 0.5)),
      float32Tensor('w3', randomFloats(c * c * 9, 25, 0.4), [c, c, 3, 3]), float32Tensor('b3', randomFloats(c, 26, 0.1)),
      float32Tensor('half', [0.5], []), float32Tensor('three', [3], []), float32Tensor('zero', [0], []), float32Tensor('six', [6], []),
    ],
    nodes: [
      conv('conv1', 'x', 'w1', 'b1', 'c1'),
      node('Mul', 'scale', ['c1', 'half'], ['s']),
      node('Add', 'plus3', ['s', 'three'], ['p']),
      node('Clip', 'relu6', ['p', 'zero', 'six'], ['r6']),
      node('Mul', 'times', ['s', 'r6'], ['t']),
      node('Div', 'div6', ['t', 'six'], ['h']),
      conv('conv2', 'h', 'w2', 'b2', 'c2'),
      node('HardSigmoid', 'gate', ['c2'], ['g'], [floatAttr('alpha', 1 / 6), floatAttr('beta', 0.5)]),
      node('Mul', 'excite', ['h', 'g'], ['e']),
      conv('conv3', 'e', 'w3', 'b3', 'y'),
    ],
  });
}

describe('ort-cpu folds', () => {
  test('Mul/Div by a positive constant and HardSigmoid after a Conv leave no float op; ORT runs integer kernels only and matches fp32', async () => {
    const model = blockModel();
    const feeds = [1, 2, 3].map((seed) => ({ x: floatFeed(randomFloats(144, seed, 2), [1, 4, 6, 6]) }));
    const { model: q, report } = buildInt8(model, await minmaxAmax(model, feeds), { placement: 'ort-cpu', ortWeightBits: ORT_BITS_HERE });
    assert.deepEqual([report.counts.foldedScaleOps, report.counts.foldedHardSigmoids], [2, 1]);
    const ops = new Set((q.graph!.node ?? []).map((n) => n.opType));
    for (const gone of ['Div', 'HardSigmoid']) assert.ok(!ops.has(gone), `${gone} is folded away`);
    assert.equal((q.graph!.node ?? []).filter((n) => n.opType === 'Mul' && n.input!.includes('half')).length, 0, 'Mul by 0.5 is folded');
    assertQdqStructure(q, 'ort-cpu');

    const counts = await optimizedOpCounts(q);
    // conv3 writes the graph output, which ORT can't take from a fused op: it alone stays float.
    assert.equal(countOf(counts, INTEGER_KERNELS), 2, JSON.stringify(counts));
    const floatOps = Object.keys(counts).filter((op) => !/^(Quantize|Dequantize)Linear$|QLinear|Transpose|nchwc/.test(op));
    assert.deepEqual(floatOps, [], `float ops left in ORT's optimized graph: ${JSON.stringify(counts)}`);
    assert.deepEqual([counts['com.microsoft.QLinearMul'], counts['com.microsoft.QLinearAdd'], counts['com.microsoft.nchwc.Conv']], [2, 1, 1]);
    for (const feed of feeds) {
      const [a, b] = [await runModel(model, feed), await runModel(q, feed, 'full')];
      const peak = (a.y!.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(maxAbsDiff(a.y!.data, b.y!.data) < 0.05 * peak, `max |Δ| ${maxAbsDiff(a.y!.data, b.y!.data)} of peak ${peak}`);
    }
  });

  test('Add of a constant before an unpadded Conv folds into its bias; before a padded Conv it stays', async () => {
    const c = 4;
    const unpadded = { name: 'pads', type: 7, ints: [0, 0, 0, 0] };
    const model = tinyModel({
      opset: 13,
      inputs: [valueInfo('x', [1, c, 6, 6])], outputs: [valueInfo('y', [1, c, 6, 6])],
      initializers: [
        float32Tensor('w1', randomFloats(c * c * 9, 41, 0.4), [c, c, 3, 3]), float32Tensor('b1', randomFloats(c, 42, 0.1)),
        float32Tensor('w2', randomFloats(c * c, 43, 0.4), [c, c, 1, 1]), float32Tensor('b2', randomFloats(c, 44, 0.1)),
        float32Tensor('w3', randomFloats(c * 9, 45, 0.4), [c, 1, 3, 3]), float32Tensor('b3', randomFloats(c, 46, 0.1)),
        float32Tensor('shift', [0.25, -0.5, 1, 0.125], [1, c, 1, 1]), float32Tensor('offset', [0.75], []),
      ],
      nodes: [
        conv('conv1', 'x', 'w1', 'b1', 'c1'),
        node('Relu', 'relu1', ['c1'], ['r1']),
        node('Add', 'shift_add', ['r1', 'shift'], ['s']),
        makeNode({ opType: 'Conv', name: 'pointwise', inputs: ['s', 'w2', 'b2'], outputs: ['c2'], attributes: [intAttr('group', 1), unpadded] }),
        node('Add', 'offset_add', ['c2', 'offset'], ['o']),
        makeNode({ opType: 'Conv', name: 'depthwise', inputs: ['o', 'w3', 'b3'], outputs: ['c3'], attributes: [intAttr('group', c), pads] }),
        node('Relu', 'relu3', ['c3'], ['y']),
      ],
    });
    const feeds = [1, 2, 3].map((seed) => ({ x: floatFeed(randomFloats(144, seed, 2), [1, c, 6, 6]) }));
    const { model: q, report } = buildInt8(model, await minmaxAmax(model, feeds), { placement: 'ort-cpu', ortWeightBits: ORT_BITS_HERE });
    assert.equal(report.counts.foldedAdds, 1);
    const names = (q.graph!.node ?? []).map((n) => n.name);
    assert.ok(!names.includes('shift_add') && names.includes('offset_add'), names.join(', '));
    for (const feed of feeds) {
      const [a, b] = [await runModel(model, feed), await runModel(q, feed, 'full')];
      const peak = (a.y!.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(maxAbsDiff(a.y!.data, b.y!.data) < 0.05 * peak, `max |Δ| ${maxAbsDiff(a.y!.data, b.y!.data)} of peak ${peak}`);
    }
  });

  test('the TensorRT placement keeps the graph as it is (TensorRT fuses these itself)', async () => {
    const model = blockModel();
    const feeds = [{ x: floatFeed(randomFloats(144, 1, 2), [1, 4, 6, 6]) }];
    const { model: q, report } = buildInt8(model, await minmaxAmax(model, feeds), { placement: 'tensorrt' });
    assert.deepEqual([report.counts.foldedScaleOps, report.counts.foldedHardSigmoids, report.counts.foldedAdds], [0, 0, 0]);
    assert.ok((q.graph!.node ?? []).some((n) => n.opType === 'HardSigmoid'));
  });

  test('a scale op whose output is excluded or a graph output stays', async () => {
    const model = blockModel();
    const feeds = [{ x: floatFeed(randomFloats(144, 1, 2), [1, 4, 6, 6]) }];
    const amax = await minmaxAmax(model, feeds);
    const { report } = buildInt8(model, amax, { placement: 'ort-cpu', exclude: ['conv2', 'gate'] });
    assert.equal(report.counts.foldedHardSigmoids, 0, 'an excluded gate is not rewritten');
    assert.equal(report.counts.foldedScaleOps, 1, 'only Mul(0.5): Div 6 feeds the excluded conv2');
  });
});
