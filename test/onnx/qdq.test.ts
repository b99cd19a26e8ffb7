import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { opTypeCounts } from '../../src/onnx/graph.js';
import { encodeModel, saveModel } from '../../src/onnx/model-file.js';
import type { ModelProto, NodeProto } from '../../src/onnx/proto.js';
import { buildInt8, type Placement } from '../../src/onnx/qdq/index.js';
import { roundHalfEven } from '../../src/onnx/qdq/weights.js';
import { floatAttr, intAttr, intAttribute, makeNode } from '../../src/onnx/upgrade/nodes.js';
import { float32Tensor, floatValues, intValues } from '../../src/onnx/upgrade/tensors.js';
import { detections, matchF1 } from './helpers/accuracy.js';
import { calibrated } from './helpers/calibrated.js';
import { imageFeeds } from './helpers/images.js';
import { minmaxAmax } from './helpers/minmax.js';
import { checkWithOnnx } from './helpers/onnx-checker.js';
import { assertQdqStructure, countOf, INTEGER_KERNELS, optimizedOpCounts, ORT_BITS_HERE } from './helpers/qdq-checks.js';
import { photos, SAMPLE_MODELS } from './helpers/sample-models.js';
import { floatFeed, maxAbsDiff, randomFloats, runModel, tinyModel, valueInfo } from './helpers/tiny-model.js';

const dir = await mkdtemp(join(tmpdir(), 'int8cal-qdq-'));
after(() => rm(dir, { recursive: true, force: true }));

const conv = (name: string, x: string, w: string, y: string, b?: string, attributes = [intAttr('group', 1)]) =>
  makeNode({ opType: 'Conv', name, inputs: b ? [x, w, b] : [x, w], outputs: [y], attributes });
const op = (opType: string, name: string, inputs: string[], outputs: string[], attributes: NodeProto['attribute'] = []) =>
  makeNode({ opType, name, inputs, outputs, attributes: attributes ?? [] });
const byName = (model: ModelProto, name: string) => model.graph!.node!.find((n) => n.name === name)!;
const initializer = (model: ModelProto, name: string) => model.graph!.initializer!.find((t) => t.name === name)!;
/** The producer of input `i` of a node. */
const producerOf = (model: ModelProto, node: NodeProto, i: number) => model.graph!.node!.find((n) => n.output?.includes(node.input![i]!));

/** x → Conv(A) → Relu → Conv(B) → y, plus x → Add(skip) with B's output. */
function residualModel(): ModelProto {
  return tinyModel({
    opset: 13,
    inputs: [valueInfo('x', [1, 2, 6, 6])],
    outputs: [valueInfo('y', [1, 2, 6, 6])],
    initializers: [
      float32Tensor('wa', randomFloats(2 * 2 * 9, 11, 0.5), [2, 2, 3, 3]), float32Tensor('ba', [0.1, -0.1]),
      float32Tensor('wb', randomFloats(2 * 2 * 9, 12, 0.5), [2, 2, 3, 3]), float32Tensor('bb', [0.05, 0.2]),
    ],
    nodes: [
      conv('conv_a', 'x', 'wa', 'a', 'ba', [intAttr('group', 1), { name: 'pads', type: 7, ints: [1, 1, 1, 1] }]),
      op('Relu', 'relu_a', ['a'], ['r']),
      conv('conv_b', 'r', 'wb', 'b', 'bb', [intAttr('group', 1), { name: 'pads', type: 7, ints: [1, 1, 1, 1] }]),
      op('Add', 'add', ['b', 'x'], ['y']),
    ],
  });
}
const residualAmax = new Map([['x', 2], ['a', 3], ['r', 3], ['b', 4], ['y', 5]]);

describe('buildInt8 on small models', () => {
  test('weights: int8 per output channel, round half to even; bias stays float', () => {
    // Channel 0 has max 127 (scale 1): 2.5 → 2, −3.5 → −4, 126.5 → 126.
    const w = [127, 2.5, -3.5, 126.5, 0.5, 0.25, -0.5, 1];
    const model = tinyModel({
      opset: 13,
      inputs: [valueInfo('x', [1, 4, 1, 1])], outputs: [valueInfo('y', [1, 2, 1, 1])],
      initializers: [float32Tensor('w', w, [2, 4, 1, 1]), float32Tensor('b', [1, 2])],
      nodes: [conv('c', 'x', 'w', 'y', 'b')],
    });
    const { model: q, report } = buildInt8(model, new Map([['x', 1], ['y', 10]]), { placement: 'tensorrt' });
    const dq = producerOf(q, byName(q, 'c'), 1)!;
    assert.equal(dq.opType, 'DequantizeLinear');
    assert.equal(intAttribute(dq, 'axis'), 0);
    // Channel 1: max 1 → scale fround(1/127); 0.5 / scale rounds (in float32) to 63.5 → 64.
    assert.deepEqual(intValues(initializer(q, dq.input![0]!)).map(Number), [127, 2, -4, 126, 64, 32, -64, 127]);
    const scales = [...floatValues(initializer(q, dq.input![1]!))];
    assert.deepEqual(scales, [Math.fround(127 / 127), Math.fround(1 / 127)]);
    assert.equal(byName(q, 'c').input![2], 'b', 'the bias is read as is');
    assert.equal(roundHalfEven(-2.5), -2);
    assert.deepEqual(report.quantized, [{ node: 'c', opType: 'Conv', weights: 'per-channel' }]);
    const { model: perTensor } = buildInt8(model, new Map([['x', 1]]), { placement: 'tensorrt', perTensorWeights: true });
    const dqTensor = producerOf(perTensor, byName(perTensor, 'c'), 1)!;
    assert.equal(intAttribute(dqTensor, 'axis'), undefined);
    assert.deepEqual([...floatValues(initializer(perTensor, dqTensor.input![1]!))], [1]);
  });

  test('activations: symmetric int8, zero point 0, scale = amax / 127 (tensorrt)', () => {
    const { model: q } = buildInt8(residualModel(), residualAmax, { placement: 'tensorrt' });
    const qx = q.graph!.node!.find((n) => n.opType === 'QuantizeLinear' && n.input![0] === 'x')!;
    assert.deepEqual([...floatValues(initializer(q, qx.input![1]!))], [Math.fround(2 / 127)]);
    assert.deepEqual(intValues(initializer(q, qx.input![2]!)), [0n]);
    assertQdqStructure(q, 'tensorrt');
  });

  test('tensorrt: Q/DQ on conv inputs and only on the skip branch of a residual Add', () => {
    const { model: q } = buildInt8(residualModel(), residualAmax, { placement: 'tensorrt' });
    const add = byName(q, 'add');
    assert.equal(add.input![0], 'b', 'the Conv branch stays float so TensorRT fuses Conv + Add');
    assert.equal(producerOf(q, add, 1)!.opType, 'DequantizeLinear');
    assert.equal(producerOf(q, byName(q, 'conv_b'), 0)!.opType, 'DequantizeLinear');
    assert.equal(byName(q, 'relu_a').input![0], 'a', 'no Q/DQ between Conv and Relu');
  });

  test('ort-cpu: Q right after the fused op; Relu absorbed with a uint8 zero point 0', () => {
    const { model: q, report } = buildInt8(residualModel(), residualAmax, { placement: 'ort-cpu' });
    const qOn = (tensor: string) => q.graph!.node!.find((n) => n.opType === 'QuantizeLinear' && n.input![0] === tensor);
    assert.equal(qOn('a'), undefined, 'nothing between Conv and the Relu it absorbs');
    const qr = qOn('r')!;
    assert.deepEqual([...floatValues(initializer(q, qr.input![1]!))], [Math.fround(3 / 255)]);
    assert.deepEqual(intValues(initializer(q, qr.input![2]!)), [0n]);
    const qx = qOn('x')!;
    assert.deepEqual([...floatValues(initializer(q, qx.input![1]!))], [Math.fround(2 / 127)]);
    assert.deepEqual(intValues(initializer(q, qx.input![2]!)), [128n]);
    assert.ok(report.notes.some((n) => /uint8/.test(n)), 'the report says activations are uint8');
    assertQdqStructure(q, 'ort-cpu');
  });

  test('ort-cpu with calibrated signed ranges: lopsided tensors get an asymmetric uint8 grid clipped to ±amax', () => {
    // x: observed [−0.5, 2.5], amax 2 → [−0.5, 2]; b: [−6, 1] and amax 4 → [−4, 1]; without a range, zero point 128.
    const ranges = new Map([['x', { min: -0.5, max: 2.5 }], ['b', { min: -6, max: 1 }]]);
    const { model: q, report } = buildInt8(residualModel(), residualAmax, { placement: 'ort-cpu', ranges });
    const params = (tensor: string) => {
      const node = q.graph!.node!.find((n) => n.opType === 'QuantizeLinear' && n.input![0] === tensor)!;
      return [floatValues(initializer(q, node.input![1]!))[0], Number(intValues(initializer(q, node.input![2]!))[0])];
    };
    assert.deepEqual(params('x'), [Math.fround(2.5 / 255), 51]);
    assert.deepEqual(params('b'), [Math.fround(5 / 255), 204]);
    assert.deepEqual(params('r'), [Math.fround(3 / 255), 0], 'non-negative tensors keep zero point 0');
    assert.ok(report.notes.some((n) => /asymmetric/.test(n)), 'the report says signed activations are asymmetric');
    assertQdqStructure(q, 'ort-cpu');
    const { model: trt } = buildInt8(residualModel(), residualAmax, { placement: 'tensorrt', ranges });
    assertQdqStructure(trt, 'tensorrt');
  });

  test('ort-cpu: the image stem (shallow Conv on the RGB input, narrow depthwise Conv after it) stays float; TensorRT quantizes it', () => {
    const model = tinyModel({
      opset: 13,
      inputs: [valueInfo('x', [1, 3, 8, 8])], outputs: [valueInfo('y', [1, 4, 8, 8])],
      initializers: [float32Tensor('w1', randomFloats(4 * 27, 31, 0.3), [4, 3, 3, 3]), float32Tensor('wd', randomFloats(4 * 9, 33, 0.3), [4, 1, 3, 3]),
        float32Tensor('w2', randomFloats(16, 32, 0.3), [4, 4, 1, 1])],
      nodes: [conv('rgb', 'x', 'w1', 'a'), op('Relu', 'relu', ['a'], ['r']),
        conv('dw', 'r', 'wd', 'd', undefined, [intAttr('group', 4), { name: 'pads', type: 7, ints: [1, 1, 1, 1] }]), op('Relu', 'relu_d', ['d'], ['rd']),
        conv('next', 'rd', 'w2', 'c'), op('Relu', 'relu2', ['c'], ['y'])],
    });
    const amax = new Map([['x', 2], ['a', 3], ['r', 3], ['d', 3], ['rd', 3], ['c', 2], ['y', 2]]);
    const { report } = buildInt8(model, amax, { placement: 'ort-cpu' });
    const reason = (node: string) => report.excluded.find((e) => e.node === node)?.reason ?? '';
    assert.match(reason('rgb'), /network input with only 27 products/);
    assert.match(reason('dw'), /narrow depthwise Conv \(4 channels\) right after the float stem Conv rgb/);
    assert.ok(report.quantized.some((q) => q.node === 'next'), 'the next Conv is quantized');
    const trt = buildInt8(model, amax, { placement: 'tensorrt' }).report;
    assert.ok(trt.quantized.some((q) => q.node === 'rgb'));
  });

  test('ort-cpu: ONNX Runtime turns it into integer kernels and stays close to fp32', async () => {
    const model = residualModel();
    const feeds = { x: floatFeed(randomFloats(72, 5, 1.9), [1, 2, 6, 6]) };
    const { model: q } = buildInt8(model, await minmaxAmax(model, [feeds]), { placement: 'ort-cpu', ortWeightBits: ORT_BITS_HERE });
    const counts = await optimizedOpCounts(q);
    assert.equal(countOf(counts, INTEGER_KERNELS), 2, JSON.stringify(counts));
    const [a, b] = [await runModel(model, feeds), await runModel(q, feeds, 'full')];
    assert.ok(maxAbsDiff(a.y!.data, b.y!.data) < 0.1, `max |Δ| ${maxAbsDiff(a.y!.data, b.y!.data)}`);
  });

  test('Concat members share one scale (tensorrt); ort-cpu keeps Concat float with a scale per member', () => {
    const model = tinyModel({
      opset: 13,
      inputs: [valueInfo('x', [1, 2, 4, 4])], outputs: [valueInfo('y', [1, 2, 4, 4])],
      initializers: [float32Tensor('w1', randomFloats(4, 1), [2, 2, 1, 1]), float32Tensor('w2', randomFloats(4, 2), [2, 2, 1, 1]),
        float32Tensor('w3', randomFloats(8, 3), [2, 4, 1, 1])],
      nodes: [conv('c1', 'x', 'w1', 'p'), conv('c2', 'x', 'w2', 'r'), op('Concat', 'cat', ['p', 'r'], ['c'], [intAttr('axis', 1)]), conv('c3', 'c', 'w3', 'y')],
    });
    const amax = new Map([['x', 1], ['p', 1], ['r', 3], ['c', 3], ['y', 1]]);
    const scaleOf = (q: ModelProto, tensor: string) => {
      const node = q.graph!.node!.find((n) => n.opType === 'QuantizeLinear' && n.input![0] === tensor);
      return node ? floatValues(initializer(q, node.input![1]!))[0] : undefined;
    };
    const { model: trt } = buildInt8(model, amax, { placement: 'tensorrt' });
    assert.equal(scaleOf(trt, 'c'), Math.fround(3 / 127));
    const { model: ort, report } = buildInt8(model, amax, { placement: 'ort-cpu' });
    assert.deepEqual(['p', 'r'].map((t) => scaleOf(ort, t)), [Math.fround(1 / 127), Math.fround(3 / 127)]);
    assert.ok(!report.quantized.some((q) => q.opType === 'Concat'));
  });

  test('--exclude by node name, /regex/ and op type keeps those nodes float and says why', () => {
    for (const [pattern, excluded] of [['conv_b', ['conv_b']], ['/^conv_/', ['conv_a', 'conv_b']], ['Conv', ['conv_a', 'conv_b']]] as const) {
      for (const placement of ['tensorrt', 'ort-cpu'] as Placement[]) {
        const { model: q, report } = buildInt8(residualModel(), residualAmax, { placement, exclude: [pattern] });
        for (const name of excluded) {
          assert.notEqual(producerOf(q, byName(q, name), 1)?.opType, 'DequantizeLinear', `${placement} ${pattern}: weights of ${name}`);
          const entry = report.excluded.find((e) => e.node === name);
          assert.ok(entry?.excludedByUser && entry.pattern === pattern, `${placement} ${pattern}: ${JSON.stringify(report.excluded)}`);
        }
        assertQdqStructure(q, placement, [...excluded]);
      }
    }
  });

  test('tensors without a calibrated amax stay float and are reported', () => {
    const { model: q, report } = buildInt8(residualModel(), new Map([['x', 2]]), { placement: 'ort-cpu' });
    assert.ok(report.unscaled.some((u) => u.tensor === 'r'));
    assert.ok(report.excluded.some((e) => e.node === 'conv_b' && /scale/.test(e.reason)));
    assert.notEqual(producerOf(q, byName(q, 'conv_b'), 1)?.opType, 'DequantizeLinear');
  });

  test('Gemm (transB 0/1), MatMul and ConvTranspose weights use their output-channel axis', () => {
    const model = tinyModel({
      opset: 13,
      inputs: [valueInfo('x', [2, 4])], outputs: [valueInfo('g', [2, 3]), valueInfo('h', [2, 3]), valueInfo('m', [2, 5]), valueInfo('t', [1, 6, 3, 3])],
      initializers: [float32Tensor('b0', randomFloats(12, 1), [4, 3]), float32Tensor('b1', randomFloats(12, 2), [3, 4]),
        float32Tensor('mb', randomFloats(20, 3), [4, 5]), float32Tensor('tw', randomFloats(4 * 3 * 4, 4), [4, 3, 2, 2]), ],
      nodes: [op('Gemm', 'g0', ['x', 'b0'], ['g']), op('Gemm', 'g1', ['x', 'b1'], ['h'], [intAttr('transB', 1), floatAttr('alpha', 1)]),
        op('MatMul', 'mm', ['x', 'mb'], ['m']), op('Reshape', 'rs', ['x', 'shape_i'], ['xr']),
        op('ConvTranspose', 'ct', ['xr', 'tw'], ['t'], [intAttr('group', 2)])],
    });
    model.graph!.initializer!.push({ name: 'shape_i', dataType: 7, dims: [4], rawData: new Uint8Array(BigInt64Array.from([1n, 4n, 2n, 1n]).buffer) });
    const amax = new Map([['x', 1], ['xr', 1], ['g', 2], ['h', 2], ['m', 2], ['t', 2]]);
    const { model: q } = buildInt8(model, amax, { placement: 'tensorrt' });
    assertQdqStructure(q, 'tensorrt');
    const axisOf = (node: string) => intAttribute(producerOf(q, byName(q, node), 1)!, 'axis');
    assert.deepEqual([axisOf('g0'), axisOf('g1'), axisOf('mm'), axisOf('ct')], [1, 0, 1, 1]);
  });

  test('ort-cpu: attention logits → Softmax stay float (MatMul with a float output); the Softmax output is quantized for the MatMul reading it', () => {
    const model = tinyModel({
      opset: 13,
      inputs: [valueInfo('q', [1, 4, 8]), valueInfo('k', [1, 8, 4]), valueInfo('v', [1, 4, 8])], outputs: [valueInfo('y', [1, 4, 8])],
      initializers: [float32Tensor('scale', [0.35])],
      nodes: [op('MatMul', 'qk', ['q', 'k'], ['logits']), op('Mul', 'scaled', ['logits', 'scale'], ['s']),
        op('Softmax', 'softmax', ['s'], ['attn'], [intAttr('axis', -1)]), op('MatMul', 'av', ['attn', 'v'], ['y'])],
    });
    const amax = new Map([['q', 2], ['k', 2], ['v', 2], ['logits', 8], ['s', 3], ['attn', 1], ['y', 2]]);
    const ranges = new Map([...amax].map(([name, a]) => [name, { min: name === 'attn' ? 0 : -a, max: a }]));
    const { model: built, report } = buildInt8(model, amax, { placement: 'ort-cpu', ranges });
    const quantizeOf = (tensor: string) => built.graph!.node!.filter((n) => n.opType === 'QuantizeLinear' && n.input![0] === tensor).length;
    assert.deepEqual([quantizeOf('logits'), quantizeOf('s'), quantizeOf('attn')], [0, 0, 1]);
    assert.deepEqual(report.quantized.map((q) => q.node).sort(), ['av', 'qk']);
    assert.equal(byName(built, 'softmax').input![0], 's', 'Softmax reads the float logits');
  });

  test('both placements: the first Conv on raw 0–255 pixels (through a Focus-style Slice/Concat) stays float, with its reason', () => {
    const slice = (name: string, start: number, out: string) => op('Slice', name, ['x', `st${start}`, `en${start}`, 'ax'], [out]);
    const int64 = (name: string, values: bigint[]) => ({ name, dataType: 7, dims: [values.length], rawData: new Uint8Array(BigInt64Array.from(values).buffer) });
    const model = tinyModel({
      opset: 13,
      inputs: [valueInfo('x', [1, 3, 4, 4])], outputs: [valueInfo('y', [1, 2, 4, 4])],
      initializers: [float32Tensor('w1', randomFloats(2 * 6 * 9, 21, 0.1), [2, 6, 3, 3]), float32Tensor('w2', randomFloats(2 * 2 * 9, 22, 0.5), [2, 2, 3, 3]),
        int64('st0', [0n]), int64('en0', [2n]), int64('st2', [2n]), int64('en2', [4n]), int64('ax', [2n])],
      nodes: [slice('top', 0, 'xt'), slice('bottom', 2, 'xb'), op('Concat', 'focus', ['xt', 'xb'], ['xf'], [intAttr('axis', 1)]),
        conv('first', 'xf', 'w1', 'a', undefined, [intAttr('group', 1), { name: 'pads', type: 7, ints: [1, 1, 1, 1] }]), op('Relu', 'relu', ['a'], ['r']),
        conv('second', 'r', 'w2', 'b', undefined, [intAttr('group', 1), { name: 'pads', type: 7, ints: [0, 0, 0, 0] }]), op('Relu', 'relu2', ['b'], ['y'])],
    });
    const amax = new Map([['x', 255], ['xt', 255], ['xb', 255], ['xf', 255], ['a', 40], ['r', 40], ['b', 20], ['y', 20]]);
    const rawRanges = new Map([...amax].map(([name, a]) => [name, { min: 0, max: a }]));
    for (const placement of ['tensorrt', 'ort-cpu'] as const) {
      const { report } = buildInt8(model, amax, { placement, ranges: rawRanges });
      assert.deepEqual(report.coverage.float.map((f) => f.node), ['first'], placement);
      assert.match(report.coverage.float[0]!.reason, /^first layer on raw, un-centred pixels \(network input range \[0, 255\]\): int8 would waste half its levels/);
      assert.ok(report.quantized.some((q) => q.node === 'second'), `${placement} quantizes the second Conv`);
      // The same pixels scaled to [0, 1], or centred: the first Conv is quantized as usual.
      for (const range of [{ min: 0, max: 1 }, { min: -1, max: 1 }]) {
        const scaled = new Map([...rawRanges, ['x', range]]);
        assert.ok(buildInt8(model, amax, { placement, ranges: scaled }).report.quantized.some((q) => q.node === 'first'), `${placement}, input ${JSON.stringify(range)}`);
      }
    }
  });

  test('an opset-9 model is upgraded first', () => {
    const model = { ...residualModel(), opsetImport: [{ domain: '', version: 9 }] };
    const { model: q, report } = buildInt8(model, residualAmax, { placement: 'tensorrt' });
    assert.equal(report.opset, 13);
    assert.equal(q.opsetImport![0]!.version, 13);
  });
});

describe('buildInt8 on the sample models', () => {
  for (const m of SAMPLE_MODELS) {
    for (const placement of ['tensorrt', 'ort-cpu'] as const) {
      test(`${m.name}, ${placement}: valid Q/DQ, deterministic, checked by onnx`, async (t) => {
        const { fp32, amax } = await calibrated(m);
        const built = buildInt8(fp32, amax, { placement });
        const again = buildInt8(fp32, amax, { placement });
        assert.deepEqual(encodeModel(again.model), encodeModel(built.model), 'byte-identical rebuild');
        const { q, dq } = assertQdqStructure(built.model, placement);
        assert.equal(q, built.report.counts.quantizeLinear);
        assert.equal(dq, built.report.counts.dequantizeLinear);
        assert.equal(built.report.unscaled.length, 0, JSON.stringify(built.report.unscaled.slice(0, 3)));
        const path = join(dir, `${m.file}.${placement}.onnx`);
        await saveModel(built.model, path);
        await checkWithOnnx(path);
        t.diagnostic(`${built.report.counts.quantizedNodes} nodes quantized, ${q} Q, ${dq} DQ`);
      });
    }

    test(`${m.name}: ONNX Runtime runs ≥ 90 % of the Conv/Gemm of model.int8-ort as integer kernels`, async (t) => {
      const { fp32, amax } = await calibrated(m);
      const { model } = buildInt8(fp32, amax, { placement: 'ort-cpu' });
      const before = opTypeCounts(fp32.graph!);
      const compute = (before.Conv ?? 0) + (before.Gemm ?? 0);
      const counts = await optimizedOpCounts(model);
      const integer = countOf(counts, INTEGER_KERNELS.filter((k) => !/MatMul/.test(k)));
      t.diagnostic(`${integer} integer Conv/Gemm kernels of ${compute}; optimized graph ${JSON.stringify(counts)}`);
      assert.ok(integer >= 0.9 * compute, `${integer} of ${compute}`);
    });
  }

  test('fr_detect: int8 detections match fp32 (F1 ≥ 0.9 at IoU 0.5) for both placements', async (t) => {
    const m = SAMPLE_MODELS.find((s) => s.file === 'fr_detect.onnx')!;
    const { fp32, amax } = await calibrated(m);
    const feeds = await imageFeeds(await photos(m.evaluation), m.input, m.spec);
    const boxes = async (model: ModelProto, rewrites: 'portable' | 'full') => {
      const out = [];
      for (const feed of feeds) {
        const r = await runModel(model, feed, rewrites);
        out.push(detections(r.scores!.data as Float32Array, r.boxes!.data as Float32Array));
      }
      return out;
    };
    const reference = await boxes(fp32, 'portable');
    assert.ok(reference.flat().length > 0, 'fp32 finds faces in the evaluation photos');
    for (const placement of ['tensorrt', 'ort-cpu'] as const) {
      const f1 = matchF1(reference, await boxes(buildInt8(fp32, amax, { placement, ortWeightBits: ORT_BITS_HERE }).model, 'full'));
      t.diagnostic(`${placement}: F1 ${f1.toFixed(3)} over ${reference.flat().length} fp32 faces`);
      assert.ok(f1 >= 0.9, `${placement}: F1 ${f1}`);
    }
  });
});
