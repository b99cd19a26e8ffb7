import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Int8calError } from '../../src/core/errors.js';
import type { HostTensor } from '../../src/engines/engine.js';
import { opsetVersion } from '../../src/onnx/graph.js';
import { encodeModel, loadModel, saveModel } from '../../src/onnx/model-file.js';
import { DataType, type ModelProto, type NodeProto } from '../../src/onnx/proto.js';
import { upgradeOpset } from '../../src/onnx/upgrade/index.js';
import { floatAttr, floatsAttr, intAttr, intsAttr, makeNode, stringAttr, stringAttribute } from '../../src/onnx/upgrade/nodes.js';
import { float32Tensor } from '../../src/onnx/upgrade/tensors.js';
import { imageFeeds } from './helpers/images.js';
import { checkWithOnnx } from './helpers/onnx-checker.js';
import { modelPath, photos, SAMPLE_MODELS } from './helpers/sample-models.js';
import { floatFeed, maxAbsDiff, randomFloats, runModel, tinyModel, valueInfo } from './helpers/tiny-model.js';

const dir = await mkdtemp(join(tmpdir(), 'int8cal-upgrade-'));
after(() => rm(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  nodes: NodeProto[];
  input: [string, number[]];
  outputs: [string, number[], number?][];
  opset?: number;
  initializers?: ReturnType<typeof float32Tensor>[];
  /** Checks on the upgraded nodes. */
  check?: (nodes: NodeProto[]) => void;
}

const node = (opType: string, inputs: string[], outputs: string[], attributes: NodeProto['attribute'] = []) =>
  makeNode({ opType, inputs, outputs, name: `${opType}_0`, attributes: attributes ?? [] });
const ops = (nodes: NodeProto[]) => nodes.map((n) => n.opType);

const CASES: Case[] = [
  {
    name: 'Upsample nearest (opset 9) → Resize asymmetric/floor', input: ['x', [1, 2, 3, 4]], outputs: [['y', [1, 2, 6, 12]]],
    initializers: [float32Tensor('scales', [1, 1, 2, 3])],
    nodes: [node('Upsample', ['x', 'scales'], ['y'], [stringAttr('mode', 'nearest')])],
    check: (nodes) => {
      assert.deepEqual(ops(nodes), ['Resize']);
      assert.equal(stringAttribute(nodes[0]!, 'coordinate_transformation_mode'), 'asymmetric');
      assert.equal(stringAttribute(nodes[0]!, 'nearest_mode'), 'floor');
      assert.deepEqual(nodes[0]!.input, ['x', '', 'scales']);
    },
  },
  {
    name: 'Upsample nearest, fractional scales', input: ['x', [1, 1, 4, 4]], outputs: [['y', [1, 1, 6, 10]]],
    initializers: [float32Tensor('scales', [1, 1, 1.5, 2.5])],
    nodes: [node('Upsample', ['x', 'scales'], ['y'], [stringAttr('mode', 'nearest')])],
  },
  {
    name: 'Upsample linear → Resize linear asymmetric', input: ['x', [1, 2, 3, 5]], outputs: [['y', [1, 2, 6, 10]]],
    initializers: [float32Tensor('scales', [1, 1, 2, 2])],
    nodes: [node('Upsample', ['x', 'scales'], ['y'], [stringAttr('mode', 'linear')])],
    check: (nodes) => assert.equal(stringAttribute(nodes[0]!, 'mode'), 'linear'),
  },
  {
    name: 'Upsample-7 (scales attribute)', opset: 7, input: ['x', [1, 1, 2, 3]], outputs: [['y', [1, 1, 4, 6]]],
    nodes: [node('Upsample', ['x'], ['y'], [stringAttr('mode', 'nearest'), floatsAttr('scales', [1, 1, 2, 2])])],
  },
  {
    name: 'Softmax over a middle axis → Flatten + Softmax + Reshape', input: ['x', [2, 3, 4]], outputs: [['y', [2, 3, 4]]],
    nodes: [node('Softmax', ['x'], ['y'], [intAttr('axis', 1)])],
    check: (nodes) => assert.deepEqual(ops(nodes), ['Flatten', 'Softmax', 'Shape', 'Reshape']),
  },
  {
    name: 'Softmax over the last axis stays one node', input: ['x', [2, 5]], outputs: [['y', [2, 5]]],
    nodes: [node('Softmax', ['x'], ['y'])],
    check: (nodes) => assert.deepEqual(ops(nodes), ['Softmax']),
  },
  {
    name: 'LogSoftmax and Hardmax keep the 2-D semantics', input: ['x', [2, 3, 4]], outputs: [['y', [2, 3, 4]], ['z', [2, 3, 4]]],
    nodes: [node('LogSoftmax', ['x'], ['y'], [intAttr('axis', 1)]), { ...node('Hardmax', ['x'], ['z'], [intAttr('axis', 1)]), name: 'Hardmax_1' }],
  },
  {
    name: 'Clip min/max attributes → inputs', input: ['x', [2, 8]], outputs: [['y', [2, 8]], ['z', [2, 8]]],
    nodes: [node('Clip', ['x'], ['y'], [floatAttr('min', -0.5), floatAttr('max', 0.25)]), { ...node('Clip', ['x'], ['z'], [floatAttr('max', 0.1)]), name: 'Clip_1' }],
    check: (nodes) => assert.equal(nodes[1]!.input![1], ''),
  },
  {
    name: 'Pad pads/value attributes → inputs (constant and reflect)', input: ['x', [1, 2, 3, 3]], outputs: [['y', [1, 2, 5, 6]], ['z', [1, 2, 5, 5]]],
    nodes: [node('Pad', ['x'], ['y'], [intsAttr('pads', [0, 0, 1, 2, 0, 0, 1, 1]), floatAttr('value', 1.5)]),
      { ...node('Pad', ['x'], ['z'], [intsAttr('pads', [0, 0, 1, 1, 0, 0, 1, 1]), stringAttr('mode', 'reflect')]), name: 'Pad_1' }],
  },
  {
    name: 'Slice attributes → inputs (INT64_MAX end)', input: ['x', [2, 5, 4]], outputs: [['y', [2, 4, 2]]],
    nodes: [node('Slice', ['x'], ['y'], [{ name: 'starts', type: 7, ints: [1, 0] }, { name: 'ends', type: 7, ints: ['9223372036854775807' as unknown as number, 2] }, intsAttr('axes', [1, 2])])],
  },
  {
    name: 'TopK k attribute → input', input: ['x', [3, 6]], outputs: [['v', [3, 2]], ['i', [3, 2], DataType.INT64]],
    nodes: [node('TopK', ['x'], ['v', 'i'], [intAttr('k', 2)])],
  },
  {
    name: 'Split, Squeeze, Unsqueeze, ReduceSum: attributes → inputs', input: ['x', [1, 3, 4]], outputs: [['a', [1, 1, 4]], ['s', [1, 4]], ['u', [1, 1, 2, 1, 4]], ['r', [1, 4]]],
    nodes: [
      node('Split', ['x'], ['a', 'b'], [intAttr('axis', 1), intsAttr('split', [1, 2])]),
      node('Squeeze', ['a'], ['s'], [intsAttr('axes', [1])]),
      node('Unsqueeze', ['b'], ['u'], [intsAttr('axes', [0, 3])]),
      node('ReduceSum', ['x'], ['r'], [intsAttr('axes', [1]), intAttr('keepdims', 0)]),
    ].map((n, i) => ({ ...n, name: `n${i}` })),
  },
  {
    name: 'Dropout → Identity', input: ['x', [2, 3]], outputs: [['y', [2, 3]]],
    nodes: [node('Dropout', ['x'], ['y'], [floatAttr('ratio', 0.3)])],
    check: (nodes) => assert.deepEqual(ops(nodes), ['Identity']),
  },
  {
    name: 'BatchNormalization-7 drops spatial', opset: 7, input: ['x', [1, 2, 3, 3]], outputs: [['y', [1, 2, 3, 3]]],
    initializers: [float32Tensor('s', [1.5, 0.5]), float32Tensor('b', [0.1, -0.2]), float32Tensor('m', [0.3, 0.1]), float32Tensor('v', [2, 0.5])],
    nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], [intAttr('spatial', 1), floatAttr('epsilon', 1e-5)])],
    check: (nodes) => assert.ok(!(nodes[0]!.attribute ?? []).some((a) => a.name === 'spatial')),
  },
];

function caseModel(c: Case): ModelProto {
  return tinyModel({
    opset: c.opset ?? 9,
    nodes: c.nodes,
    inputs: [valueInfo(c.input[0], c.input[1])],
    outputs: c.outputs.map(([name, dims, type]) => valueInfo(name, dims, type)),
    initializers: c.initializers,
  });
}

function assertSameOutputs(a: Record<string, HostTensor>, b: Record<string, HostTensor>, tolerance: number) {
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const name of Object.keys(a)) {
    assert.deepEqual([...b[name]!.dims], [...a[name]!.dims], `shape of ${name}`);
    const diff = maxAbsDiff(a[name]!.data, b[name]!.data);
    assert.ok(diff <= tolerance, `${name}: max |Δ| = ${diff}`);
  }
}

describe('upgradeOpset on one-op models', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const original = caseModel(c);
      const upgraded = upgradeOpset(original);
      assert.equal(opsetVersion(upgraded), 13);
      assert.ok(Number(upgraded.irVersion) >= 7);
      c.check?.(upgraded.graph!.node!);
      const count = c.input[1].reduce((p, d) => p * d, 1);
      const feeds = { [c.input[0]]: floatFeed(randomFloats(count, 7, 2), c.input[1]) };
      assertSameOutputs(await runModel(original, feeds), await runModel(upgraded, feeds), 1e-6);
      const path = join(dir, `${c.input[0]}-${CASES.indexOf(c)}.onnx`);
      await saveModel(upgraded, path);
      await checkWithOnnx(path);
    });
  }

  test('Softmax whose input rank is unknown takes the exact 2-D path', async () => {
    // Reshape to a run-time shape: the rank of `r` cannot be known statically.
    const model = tinyModel({
      opset: 11,
      nodes: [node('Reshape', ['x', 'shape'], ['r']), node('Softmax', ['r'], ['y'], [intAttr('axis', -2)])],
      inputs: [valueInfo('x', [24]), valueInfo('shape', [3], DataType.INT64)],
      outputs: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
    });
    const upgraded = upgradeOpset(model);
    assert.deepEqual(ops(upgraded.graph!.node!), ['Reshape', 'Flatten', 'Softmax', 'Shape', 'Reshape']);
    const feeds = { x: floatFeed(randomFloats(24, 3), [24]), shape: { type: 'int64', data: BigInt64Array.from([2n, 3n, 4n]), dims: [3] } };
    assertSameOutputs(await runModel(model, feeds), await runModel(upgraded, feeds), 1e-6);
  });

  test('nodes out of topological order are upgraded too', async () => {
    const model = tinyModel({
      opset: 9,
      nodes: [node('Unsqueeze', ['t'], ['y'], [intsAttr('axes', [0])]), { ...node('Clip', ['x'], ['t'], [floatAttr('min', 0), floatAttr('max', 1)]), name: 'c' }],
      inputs: [valueInfo('x', [3])],
      outputs: [valueInfo('y', [1, 3])],
    });
    const upgraded = upgradeOpset(model);
    const feeds = { x: floatFeed(Float32Array.from([-1, 0.5, 2]), [3]) };
    assertSameOutputs(await runModel(model, feeds), await runModel(upgraded, feeds), 0);
  });

  test('a node that cannot be converted is an error naming it', () => {
    const c = CASES.find((x) => x.name.startsWith('BatchNormalization'))!;
    const model = caseModel({ ...c, nodes: [{ ...c.nodes[0]!, name: 'bn_per_activation', attribute: [intAttr('spatial', 0)] }] });
    assert.throws(() => upgradeOpset(model), (error: unknown) => {
      assert.ok(error instanceof Int8calError);
      assert.equal(error.code, 'OPSET_UPGRADE');
      assert.equal(error.subject.node, 'bn_per_activation');
      assert.match(error.message, /bn_per_activation \(BatchNormalization\)/);
      return true;
    });
  });

  test('a model already at the target is returned as is; upgrading is deterministic', () => {
    const upgraded = upgradeOpset(caseModel(CASES[4]!));
    assert.equal(upgradeOpset(upgraded), upgraded);
    assert.deepEqual(encodeModel(upgradeOpset(caseModel(CASES[4]!))), encodeModel(upgraded));
  });
});

describe('upgradeOpset on the sample models changes nothing', () => {
  for (const m of SAMPLE_MODELS) {
    test(`${m.name}: outputs equal the original's on real photos (max |Δ| ≤ 1e-5)`, async () => {
      const original = await loadModel(modelPath(m));
      const upgraded = upgradeOpset(original);
      assert.equal(opsetVersion(upgraded), Math.max(13, opsetVersion(original)));
      const path = join(dir, m.file);
      await saveModel(upgraded, path);
      await checkWithOnnx(path);
      const files = await photos(m.evaluation, 2);
      assert.ok(files.length > 0, `no evaluation photos in ${m.evaluation.join(', ')}`);
      for (const feed of await imageFeeds(files, m.input, m.spec)) {
        assertSameOutputs(await runModel(original, feed), await runModel(upgraded, feed), 1e-5);
      }
    });
  }
});
