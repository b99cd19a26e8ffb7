import { Int8calError } from '../core/errors.js';
import { elementSize, elementTypeName, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.js';

/** A dimension: a number when static, the symbol's name when symbolic, null when unknown. */
export type Dim = number | string | null;

/** Name, element type and shape of a graph input, output or intermediate tensor. */
export interface TensorInfo {
  name: string;
  elementType: string;
  dims: Dim[];
}

/** Opset version the model imports for `domain` ('' = the default ONNX domain). */
export function opsetVersion(model: ModelProto, domain = ''): number {
  const entry = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === domain || (domain === '' && o.domain === 'ai.onnx'));
  return entry ? Number(entry.version) : 0;
}

export function tensorInfo(info: ValueInfoProto): TensorInfo {
  const tensorType = info.type?.tensorType;
  const dims = (tensorType?.shape?.dim ?? []).map((d): Dim => {
    if (d.dimValue != null && Number(d.dimValue) > 0) return Number(d.dimValue);
    return d.dimParam ? d.dimParam : null;
  });
  return { name: info.name ?? '', elementType: elementTypeName(tensorType?.elemType), dims };
}

/** Graph inputs that are fed at run time (older models also list initializers as inputs). */
export function graphInputs(graph: GraphProto): TensorInfo[] {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph.input ?? []).filter((i) => !initializers.has(i.name)).map(tensorInfo);
}

export function graphOutputs(graph: GraphProto): TensorInfo[] {
  return (graph.output ?? []).map(tensorInfo);
}

/** How many nodes of each op type (domain-qualified when not the default domain), sorted by name. */
export function opTypeCounts(graph: GraphProto): Record<string, number> {
  const counts = new Map<string, number>();
  for (const node of graph.node ?? []) {
    const key = node.domain ? `${node.domain}.${node.opType}` : node.opType ?? '';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Bytes held by initializers and Constant nodes. */
export function parameterBytes(graph: GraphProto): number {
  let total = 0;
  const tensors = [
    ...(graph.initializer ?? []),
    ...(graph.node ?? []).filter((n) => n.opType === 'Constant').flatMap((n) => (n.attribute ?? []).map((a) => a.t).filter((t) => t != null)),
  ];
  for (const t of tensors) {
    const count = (t!.dims ?? []).reduce<number>((p, d) => p * Number(d), 1);
    total += t!.rawData?.length || count * elementSize(t!.dataType);
  }
  return total;
}

/**
 * Nodes in an order where every node comes after the producers of its inputs. Graphs in
 * the wild are not always sorted; ties keep the file's order so the result is deterministic.
 */
export function topologicalOrder(graph: GraphProto): NodeProto[] {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const indegree = nodes.map(() => 0);
  const consumers = nodes.map((): number[] => []);
  nodes.forEach((n, i) => {
    const deps = new Set(nodeInputs(n).map((name) => producer.get(name)).filter((p): p is number => p !== undefined && p !== i));
    indegree[i] = deps.size;
    deps.forEach((p) => consumers[p]!.push(i));
  });
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  const order: NodeProto[] = [];
  // A min-heap would be O(n log n); graphs are small enough that a sorted insert is fine.
  while (ready.length) {
    const i = ready.shift()!;
    order.push(nodes[i]!);
    for (const c of consumers[i]!) {
      if (--indegree[c]! === 0) insertSorted(ready, c);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((_, i) => indegree[i]! > 0);
    throw new Int8calError('MODEL_CYCLE', `The graph has a cycle through node ${stuck?.name || stuck?.opType}`, {
      node: stuck?.name ?? undefined, hint: 'ONNX graphs must be acyclic; re-export the model',
    });
  }
  return order;
}

function insertSorted(list: number[], value: number) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}

/** Every tensor a node reads, including the implicit inputs of its subgraphs (If/Loop/Scan). */
export function nodeInputs(node: NodeProto): string[] {
  const names = (node.input ?? []).filter((n) => n);
  for (const attribute of node.attribute ?? []) {
    for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) {
      if (!sub) continue;
      const local = new Set([...(sub.input ?? []).map((i) => i.name), ...(sub.initializer ?? []).map((i) => i.name), ...(sub.node ?? []).flatMap((n) => n.output ?? [])]);
      for (const n of sub.node ?? []) names.push(...nodeInputs(n).filter((x) => !local.has(x)));
    }
  }
  return names;
}

/** A copy of the model whose graph outputs also include `names` (for calibration/debugging). */
export function withExtraOutputs(model: ModelProto, names: string[]): ModelProto {
  const graph = model.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  const extra = names.filter((n) => !existing.has(n)).map((name): ValueInfoProto => ({ name }));
  return { ...model, graph: { ...graph, output: [...(graph.output ?? []), ...extra] } };
}
