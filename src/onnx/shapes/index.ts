/**
 * Static shape inference at concrete input dims: the shape of every tensor ONNX Runtime would
 * compute, without running it (memory estimates before inference). Small integer tensors (shape
 * arithmetic: Shape → Gather → Concat → Reshape/Resize) carry their values so dynamic reshapes
 * resolve. An op without a rule, or an input whose shape is unknown, leaves its outputs unknown;
 * a shape the model cannot take (a Conv output of height 0, operands that don't broadcast)
 * is an `Int8calError` naming the node.
 */
import { Int8calError } from '../../core/errors.js';
import { topologicalOrder } from '../graph.js';
import { inferElementTypes } from '../fp16/element-types.js';
import { elementSize, type GraphProto, type NodeProto } from '../proto.js';
import { elementCount, numberValues } from '../upgrade/tensors.js';
import { outputShapes } from './rules.js';
import { MAX_VALUES, ShapeMismatch, type KnownShape } from './types.js';

export type { KnownShape } from './types.js';

export interface InferredShapes {
  /** Every tensor with a known shape (initializers, inputs, node outputs). */
  shapes: Map<string, KnownShape>;
  /** ONNX element type per tensor, where known. */
  types: Map<string, number>;
  /** Node outputs whose shape could not be inferred. */
  unknown: string[];
}

/** Infers shapes with the graph inputs fixed to `inputs` (name → dims). */
export function inferShapes(graph: GraphProto, inputs: Readonly<Record<string, readonly number[]>>): InferredShapes {
  const shapes = new Map<string, KnownShape>();
  const types = inferElementTypes(graph);
  for (const t of graph.initializer ?? []) {
    const dims = (t.dims ?? []).map(Number);
    const small = elementCount(t) <= MAX_VALUES && !t.dataLocation;
    shapes.set(t.name ?? '', small ? { dims, values: safeValues(() => numberValues(t)) } : { dims });
  }
  for (const [name, dims] of Object.entries(inputs)) shapes.set(name, { dims: [...dims] });
  const unknown: string[] = [];
  for (const node of topologicalOrder(graph)) {
    const outputs = (node.output ?? []).filter(Boolean);
    const result = inferNode(node, shapes, types);
    outputs.forEach((name, i) => {
      const shape = result?.[i];
      if (shape) shapes.set(name, shape);
      else unknown.push(name);
    });
  }
  return { shapes, types, unknown };
}

/** Bytes of a tensor with a known shape and element type (undefined otherwise). */
export function tensorBytes(inferred: InferredShapes, name: string): number | undefined {
  const shape = inferred.shapes.get(name);
  const type = inferred.types.get(name);
  if (!shape || type === undefined) return undefined;
  return shape.dims.reduce((p, d) => p * d, 1) * elementSize(type);
}

function inferNode(node: NodeProto, shapes: Map<string, KnownShape>, types: Map<string, number>): (KnownShape | undefined)[] | undefined {
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  const inputs = (node.input ?? []).map((name) => (name ? shapes.get(name) ?? null : undefined));
  // An input that is given but unknown makes every output unknown.
  if (inputs.some((s) => s === null)) return undefined;
  try {
    return outputShapes(node, inputs as (KnownShape | undefined)[], (i) => types.get(node.input?.[i] ?? ''));
  } catch (error) {
    if (error instanceof ShapeMismatch) {
      const name = node.name || `(unnamed ${node.opType})`;
      throw new Int8calError('MODEL_SHAPE', `${node.opType} node ${name}: ${error.message}`, { node: name });
    }
    throw error;
  }
}

function safeValues(read: () => number[]): number[] | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
