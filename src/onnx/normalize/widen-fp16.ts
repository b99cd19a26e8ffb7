/**
 * fp16 models (fp16 initializers feeding the ops, Casts at the graph's inputs and outputs) are
 * quantized like their fp32 twin: every fp16 initializer, Cast target, typed attribute and
 * declared type becomes float32. The result computes what the fp16 model approximates; the
 * fp16 variant is built from it like from any fp32 model. ONNX Runtime's basic optimizations
 * then drop the Casts that became float32 → float32.
 */
import type { GraphProto, NodeProto, TensorProto, ValueInfoProto } from '../proto.js';
import { DataType } from '../proto.js';
import { float32Tensor, floatValues } from '../upgrade/tensors.js';

/** Attributes that name an element type (Cast `to`, EyeLike/Random* `dtype`). */
const TYPE_ATTRIBUTES = new Set(['to', 'dtype']);

export interface Widened {
  graph: GraphProto;
  /** fp16 initializers and attributes converted, Casts retargeted, declared types changed. */
  changes: number;
}

export function widenFloat16(graph: GraphProto): Widened {
  let changes = 0;
  const initializer = (graph.initializer ?? []).map((t) => {
    if (t.dataType !== DataType.FLOAT16) return t;
    changes++;
    return widenTensor(t);
  });
  const node = (graph.node ?? []).map((n) => {
    const widened = widenNode(n);
    if (widened !== n) changes++;
    return widened;
  });
  const retype = (infos: ValueInfoProto[] | null | undefined): ValueInfoProto[] => (infos ?? []).map((info) => {
    const tensorType = info.type?.tensorType;
    if (tensorType?.elemType !== DataType.FLOAT16) return info;
    changes++;
    return { ...info, type: { ...info.type, tensorType: { ...tensorType, elemType: DataType.FLOAT } } };
  });
  const widened = { ...graph, initializer, node, input: retype(graph.input), output: retype(graph.output), valueInfo: retype(graph.valueInfo) };
  return changes === 0 ? { graph, changes } : { graph: widened, changes };
}

function widenTensor(t: TensorProto): TensorProto {
  return float32Tensor(t.name ?? '', floatValues(t), (t.dims ?? []).map(Number));
}

function widenNode(node: NodeProto): NodeProto {
  let changed = false;
  const attribute = (node.attribute ?? []).map((a) => {
    if (TYPE_ATTRIBUTES.has(a.name ?? '') && Number(a.i ?? 0) === DataType.FLOAT16) {
      changed = true;
      return { ...a, i: DataType.FLOAT };
    }
    if (a.t?.dataType === DataType.FLOAT16) {
      changed = true;
      return { ...a, t: widenTensor(a.t) };
    }
    return a;
  });
  return changed ? { ...node, attribute } : node;
}
