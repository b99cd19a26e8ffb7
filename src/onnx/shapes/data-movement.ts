/**
 * Shape rules of the ops that move, pick or generate values (Reshape, Concat, Slice, Resize,
 * Shape, Gather…), with values carried for the small integer tensors of shape arithmetic.
 */
import type { NodeProto } from '../proto.js';
import { numberValues } from '../upgrade/tensors.js';
import { attribute, floatsAttribute, intAttribute, intsAttribute } from '../upgrade/nodes.js';
import { broadcast, normalizeAxis, product, shaped, ShapeMismatch, type KnownShape } from './types.js';

type Inputs = (KnownShape | undefined)[];
type Outputs = (KnownShape | undefined)[] | undefined;

/** An input given as a tensor (opset ≥ 13 style) or else an ints attribute; undefined when its values are unknown. */
function listArgument(node: NodeProto, inputs: Inputs, index: number, attr: string): number[] | undefined | null {
  if (node.input?.[index]) return inputs[index]?.values;
  const a = intsAttribute(node, attr);
  return a ? a.map(Number) : null;
}

export function dataMovementShapes(node: NodeProto, inputs: Inputs): Outputs {
  const x = inputs[0];
  if (GENERATORS.has(node.opType ?? '')) return generatedShapes(node, inputs);
  switch (node.opType) {
    case 'Reshape': return x && reshape(node, x, inputs[1]?.values);
    case 'Transpose': {
      if (!x) return undefined;
      const perm = intsAttribute(node, 'perm')?.map(Number) ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      return [{ dims: perm.map((p) => x.dims[p]!) }];
    }
    case 'Flatten': {
      if (!x) return undefined;
      const axis = normalizeAxis(intAttribute(node, 'axis', 1), x.dims.length);
      return [shaped([product(x.dims.slice(0, axis)), product(x.dims.slice(axis))], x.values)];
    }
    case 'Squeeze': return x && squeeze(x, listArgument(node, inputs, 1, 'axes'));
    case 'Unsqueeze': return x && unsqueeze(x, listArgument(node, inputs, 1, 'axes'));
    case 'Gather': return x && inputs[1] && gather(node, x, inputs[1]);
    case 'Concat': return concat(node, inputs);
    case 'Split': return x && split(node, x, inputs);
    case 'Slice': return x && slice(node, x, inputs);
    case 'Pad': {
      const pads = listArgument(node, inputs, 1, 'pads');
      if (!x || !pads) return undefined;
      const rank = x.dims.length;
      return [{ dims: x.dims.map((d, i) => d + pads[i]! + pads[i + rank]!) }];
    }
    case 'Expand': return x && inputs[1]?.values && [{ dims: broadcast([x.dims, inputs[1].values]) }];
    case 'Tile': return x && inputs[1]?.values && [{ dims: x.dims.map((d, i) => d * inputs[1]!.values![i]!) }];
    case 'TopK': {
      const k = inputs[1]?.values?.[0] ?? intAttribute(node, 'k');
      if (!x || k === undefined) return undefined;
      const axis = normalizeAxis(intAttribute(node, 'axis', -1), x.dims.length);
      const dims = x.dims.map((d, i) => (i === axis ? k : d));
      return [{ dims }, { dims }];
    }
    case 'Resize': case 'Upsample': return x && resize(node, x, inputs);
    case 'DepthToSpace': case 'SpaceToDepth': {
      if (!x) return undefined;
      const b = intAttribute(node, 'blocksize', 1);
      const [n, c, h, w] = x.dims as [number, number, number, number];
      return [{ dims: node.opType === 'DepthToSpace' ? [n, c / (b * b), h * b, w * b] : [n, c * b * b, h / b, w / b] }];
    }
    default: return undefined;
  }
}

/** Ops whose output values (not only shapes) are known from their inputs' shapes or attributes. */
const GENERATORS = new Set(['Shape', 'Size', 'ConstantOfShape', 'Constant', 'Range']);

function generatedShapes(node: NodeProto, inputs: Inputs): Outputs {
  const x = inputs[0];
  switch (node.opType) {
    case 'Shape': {
      if (!x) return undefined;
      const rank = x.dims.length;
      const start = normalizeAxis(intAttribute(node, 'start', 0), rank);
      const end = attribute(node, 'end') ? normalizeAxis(intAttribute(node, 'end', rank), rank) : rank;
      const values = x.dims.slice(Math.max(0, start), Math.min(rank, end));
      return [shaped([values.length], values)];
    }
    case 'Size': return x && [shaped([], [product(x.dims)])];
    case 'ConstantOfShape': {
      const dims = x?.values;
      if (!dims) return undefined;
      const value = attribute(node, 'value')?.t;
      const fill = value ? numberValues(value)[0] ?? 0 : 0;
      return [shaped(dims, new Array<number>(product(dims)).fill(fill))];
    }
    case 'Constant': return constant(node);
    case 'Range': {
      const [start, limit, delta] = inputs.map((s) => s?.values?.[0]);
      if (start === undefined || limit === undefined || delta === undefined) return undefined;
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      return [shaped([n], Array.from({ length: n }, (_, i) => start + i * delta))];
    }
    default: return undefined;
  }
}

function reshape(node: NodeProto, x: KnownShape, target: number[] | undefined): Outputs {
  if (!target) return undefined;
  const allowZero = intAttribute(node, 'allowzero', 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? x.dims[i]! : d));
  const known = product(dims.filter((d) => d !== -1));
  const total = product(x.dims);
  const inferred = dims.map((d) => (d === -1 ? total / known : d));
  if (product(inferred) !== total || !inferred.every(Number.isInteger)) {
    throw new ShapeMismatch(`cannot reshape [${x.dims.join(', ')}] (${total} values) to [${target.join(', ')}]`);
  }
  return [shaped(inferred, x.values)];
}

function squeeze(x: KnownShape, axes: number[] | undefined | null): Outputs {
  if (axes === undefined) return undefined;
  const drop = new Set((axes ?? x.dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normalizeAxis(a, x.dims.length)));
  return [shaped(x.dims.filter((_, i) => !drop.has(i)), x.values)];
}

function unsqueeze(x: KnownShape, axes: number[] | undefined | null): Outputs {
  if (!axes) return undefined;
  const rank = x.dims.length + axes.length;
  const add = new Set(axes.map((a) => normalizeAxis(a, rank)));
  const dims: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) dims.push(add.has(i) ? 1 : x.dims[k++]!);
  return [shaped(dims, x.values)];
}

function gather(node: NodeProto, x: KnownShape, indices: KnownShape): Outputs {
  const axis = normalizeAxis(intAttribute(node, 'axis', 0), x.dims.length);
  const dims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
  if (x.values && indices.values && x.dims.length === 1) {
    return [shaped(dims, indices.values.map((i) => x.values![i < 0 ? i + x.dims[0]! : i]!))];
  }
  return [{ dims }];
}

function concat(node: NodeProto, inputs: Inputs): Outputs {
  const given = inputs.filter((s): s is KnownShape => s !== undefined);
  if (!given.length || given.length !== inputs.length) return undefined;
  const rank = given[0]!.dims.length;
  const axis = normalizeAxis(intAttribute(node, 'axis', 0), rank);
  const dims = [...given[0]!.dims];
  dims[axis] = 0;
  for (const s of given) {
    if (s.dims.length !== rank || s.dims.some((d, i) => i !== axis && d !== given[0]!.dims[i])) {
      throw new ShapeMismatch(`inputs [${given.map((g) => g.dims.join(', ')).join('] and [')}] differ outside axis ${axis}`);
    }
    dims[axis] += s.dims[axis]!;
  }
  const values = rank === 1 && given.every((s) => s.values) ? given.flatMap((s) => s.values!) : undefined;
  return [shaped(dims, values)];
}

function split(node: NodeProto, x: KnownShape, inputs: Inputs): Outputs {
  const axis = normalizeAxis(intAttribute(node, 'axis', 0), x.dims.length);
  const count = (node.output ?? []).length;
  let parts = listArgument(node, inputs, 1, 'split');
  if (parts === undefined) return undefined;
  if (parts === null) {
    const extent = x.dims[axis]!;
    const each = Math.ceil(extent / count);
    parts = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(each, extent - i * each)));
  }
  return parts.map((p) => ({ dims: x.dims.map((d, i) => (i === axis ? p : d)) }));
}

function slice(node: NodeProto, x: KnownShape, inputs: Inputs): Outputs {
  const opsetTen = (node.input ?? []).length > 1;
  const starts = opsetTen ? inputs[1]?.values : intsAttribute(node, 'starts')?.map(Number);
  const ends = opsetTen ? inputs[2]?.values : intsAttribute(node, 'ends')?.map(Number);
  if (!starts || !ends) return undefined;
  const axesGiven = opsetTen ? (node.input?.[3] ? inputs[3]?.values : null) : intsAttribute(node, 'axes')?.map(Number) ?? null;
  const steps = opsetTen && node.input?.[4] ? inputs[4]?.values : null;
  if (axesGiven === undefined || steps === undefined) return undefined;
  const axes = (axesGiven ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, x.dims.length));
  const dims = [...x.dims];
  const picks: number[][] = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((axis, k) => {
    const extent = x.dims[axis]!;
    const step = steps?.[k] ?? 1;
    const clampIndex = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + extent : v, lo), hi);
    const start = step > 0 ? clampIndex(starts[k]!, 0, extent) : clampIndex(starts[k]!, -1, extent - 1);
    const end = step > 0 ? clampIndex(ends[k]!, 0, extent) : clampIndex(ends[k]!, -1, extent - 1);
    const n = Math.max(0, Math.ceil((end - start) / step));
    dims[axis] = n;
    picks[axis] = Array.from({ length: n }, (_, i) => start + i * step);
  });
  const values = x.values && x.dims.length === 1 ? picks[0]!.map((i) => x.values![i]!) : undefined;
  return [shaped(dims, values)];
}

function constant(node: NodeProto): Outputs {
  const t = attribute(node, 'value')?.t;
  if (t) {
    const dims = (t.dims ?? []).map(Number);
    return [product(dims) <= 64 ? shaped(dims, numberValues(t)) : { dims }];
  }
  const ints = intsAttribute(node, 'value_ints')?.map(Number) ?? floatsAttribute(node, 'value_floats');
  if (ints) return [shaped([ints.length], ints)];
  const one = attribute(node, 'value_int') ? [intAttribute(node, 'value_int', 0)] : undefined;
  return one ? [shaped([], one)] : undefined;
}

function resize(node: NodeProto, x: KnownShape, inputs: Inputs): Outputs {
  // Resize-10 and Upsample: (X, scales); Resize-11+: (X, roi, scales, sizes).
  const names = node.input ?? [];
  const legacy = node.opType === 'Upsample' || names.length === 2;
  const sizesName = legacy ? '' : names[3];
  if (sizesName) {
    const sizes = inputs[3]?.values;
    return sizes && [{ dims: sizes.length === x.dims.length ? sizes : x.dims.map((d, i) => sizes[i - (x.dims.length - sizes.length)] ?? d) }];
  }
  const scalesIndex = legacy ? 1 : 2;
  const scales = names[scalesIndex] ? inputs[scalesIndex]?.values : floatsAttribute(node, 'scales');
  if (!scales || scales.length !== x.dims.length) return undefined;
  return [{ dims: x.dims.map((d, i) => Math.floor(d * scales[i]!)) }];
}
