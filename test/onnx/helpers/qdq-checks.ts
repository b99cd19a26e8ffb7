/** Structural checks of Q/DQ models and of what ONNX Runtime makes of them. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeEngine } from '../../../src/engines/onnxruntime.js';
import { resolveOrtWeightBits } from '../../../src/engines/ort-int8-kernels.js';
import { decodeModel, encodeModel } from '../../../src/onnx/model-file.js';
import { opTypeCounts } from '../../../src/onnx/graph.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../../../src/onnx/proto.js';
import type { Placement } from '../../../src/onnx/qdq/index.js';
import { intAttribute } from '../../../src/onnx/upgrade/nodes.js';
import { floatValues, intValues } from '../../../src/onnx/upgrade/tensors.js';

/** The ort-cpu weight bits this machine's integer kernels need (7 on x86 without VNNI): tests that run them build with it. */
export const ORT_BITS_HERE = resolveOrtWeightBits('auto');

/** Integer kernels ORT's CPU QDQ fusions produce for Conv / Gemm / MatMul. */
export const INTEGER_KERNELS = ['QLinearConv', 'com.microsoft.QLinearConv', 'com.microsoft.QGemm', 'QLinearMatMul',
  'com.microsoft.MatMulIntegerToFloat', 'ConvInteger', 'MatMulInteger', 'com.microsoft.DynamicQuantizeMatMul'];

/** Expected channel axis of a weight DequantizeLinear, by the op that reads it. */
function expectedAxis(consumer: NodeProto): number | undefined {
  switch (consumer.opType) {
    case 'Conv': return 0;
    case 'ConvTranspose': return 1;
    case 'Gemm': return intAttribute(consumer, 'transB', 0) ? 0 : 1;
    case 'MatMul': return 1;
    default: return undefined;
  }
}

/**
 * Every Q/DQ: a zero point of the placement's type (int8 0 for weights and TensorRT; any uint8
 * for ort-cpu activations, which may be asymmetric), finite positive float32 scales, per-channel scales with
 * the axis of the op they feed; nothing quantized feeds an excluded node.
 */
export function assertQdqStructure(model: ModelProto, placement: Placement, excludedNodes: readonly string[] = []): { q: number; dq: number } {
  const graph = model.graph!;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const excluded = new Set(excludedNodes);
  let q = 0;
  let dq = 0;
  for (const node of graph.node ?? []) {
    if (node.opType !== 'QuantizeLinear' && node.opType !== 'DequantizeLinear') continue;
    if (node.opType === 'QuantizeLinear') q++;
    else dq++;
    const label = `${node.opType} ${node.name}`;
    const [data, scaleName, zpName] = node.input ?? [];
    const scale = initializers.get(scaleName ?? '');
    const zeroPoint = initializers.get(zpName ?? '');
    assert.ok(scale && zeroPoint, `${label}: scale and zero point must be initializers`);
    assert.equal(scale.dataType, DataType.FLOAT, `${label}: float32 scale`);
    for (const s of floatValues(scale)) assert.ok(Number.isFinite(s) && s > 0, `${label}: scale ${s}`);
    const isWeight = node.opType === 'DequantizeLinear' && initializers.has(data ?? '');
    const zps = intValues(zeroPoint).map(Number);
    if (placement === 'tensorrt' || (isWeight && initializers.get(data!)!.dataType === DataType.INT8)) {
      assert.equal(zeroPoint.dataType, DataType.INT8, `${label}: int8 zero point`);
      assert.ok(zps.every((z) => z === 0), `${label}: zero point ${zps}`);
    } else {
      assert.equal(zeroPoint.dataType, DataType.UINT8, `${label}: uint8 zero point (ort-cpu)`);
    }
    const perChannel = (scale.dims ?? []).length > 0 && floatValues(scale).length > 1;
    const readers = consumers.get(node.output![0]!) ?? [];
    if (perChannel) {
      const weight = initializers.get(data ?? '') as TensorProto;
      assert.ok(weight, `${label}: per-channel scales only on weights`);
      const axis = intAttribute(node, 'axis', 1);
      for (const reader of readers) {
        if (reader.input?.[1] === node.output![0]) assert.equal(axis, expectedAxis(reader), `${label}: axis for ${reader.opType}`);
      }
      assert.equal(floatValues(scale).length, Number(weight.dims![axis]), `${label}: one scale per channel`);
    }
    if (node.opType === 'DequantizeLinear') {
      for (const reader of readers) assert.ok(!excluded.has(reader.name ?? ''), `${label} feeds excluded node ${reader.name}`);
    }
  }
  return { q, dq };
}

/** The graph ONNX Runtime runs (level `all`) and its op counts. */
export async function optimizedOpCounts(model: ModelProto): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-ort-opt-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const engine = await OnnxRuntimeEngine.create(encodeModel(model), { rewrites: 'full', optimizedModelPath: path });
    await engine.dispose();
    return opTypeCounts(decodeModel(await readFile(path), path).graph!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function countOf(counts: Record<string, number>, ops: readonly string[]): number {
  return ops.reduce((sum, op) => sum + (counts[op] ?? 0), 0);
}
