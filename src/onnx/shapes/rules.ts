/**
 * Output shapes per op type, from the input shapes (and values where shape arithmetic needs
 * them). Undefined: no rule, or an input's values are needed and unknown.
 */
import { DataType, type NodeProto } from '../proto.js';
import { intAttribute, intsAttribute, stringAttribute } from '../upgrade/nodes.js';
import { dataMovementShapes } from './data-movement.js';
import { broadcast, normalizeAxis, product, shaped, ShapeMismatch, type KnownShape } from './types.js';

type Inputs = (KnownShape | undefined)[];
type Outputs = (KnownShape | undefined)[] | undefined;

/** Ops whose outputs have their first input's shape (values kept where they pass through unchanged). */
const SAME_SHAPE = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Erf', 'Floor', 'Ceil', 'Round', 'Reciprocal', 'Clip',
  'LeakyRelu', 'Elu', 'Selu', 'Celu', 'HardSigmoid', 'HardSwish', 'Softmax', 'LogSoftmax', 'Hardmax', 'Softplus', 'Softsign',
  'Sin', 'Cos', 'Mish', 'Gelu', 'CumSum', 'LRN', 'Shrink', 'ThresholdedRelu', 'BatchNormalization', 'InstanceNormalization',
  'LayerNormalization', 'Not', 'IsNaN', 'IsInf', 'Sign', 'Trilu', 'CastLike', 'MeanVarianceNormalization',
]);
const PASS_VALUES = new Set(['Identity', 'Cast', 'Dropout']);
const BROADCAST: Record<string, ((a: number, b: number) => number) | null> = {
  Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b, Div: (a, b) => Math.trunc(a / b), Max: Math.max, Min: Math.min,
  Equal: (a, b) => Number(a === b), Less: (a, b) => Number(a < b), Greater: (a, b) => Number(a > b), Mod: (a, b) => a % b,
  Pow: null, Sum: null, Mean: null, LessOrEqual: null, GreaterOrEqual: null, And: null, Or: null, Xor: null, PRelu: null, BitShift: null,
};
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

export function outputShapes(node: NodeProto, inputs: Inputs, inputType: (i: number) => number | undefined): Outputs {
  const op = node.opType ?? '';
  const x = inputs[0];
  if (SAME_SHAPE.has(op)) return x && [{ dims: x.dims }, { dims: x.dims }, { dims: x.dims }];
  if (PASS_VALUES.has(op)) return x && [castValues(x, op === 'Cast' ? intAttribute(node, 'to') : undefined), { dims: x.dims }];
  if (op in BROADCAST) return elementwise(inputs, BROADCAST[op] ?? null, op === 'Div' && isFloat(inputType(0)));
  if (op === 'Where') return where(inputs);
  if (REDUCE.has(op)) return x && [reduce(node, x, inputs[1])];
  switch (op) {
    case 'Conv': return x && inputs[1] && [convolution(node, x, inputs[1])];
    case 'ConvTranspose': return x && inputs[1] && [convTranspose(node, x, inputs[1])];
    case 'MaxPool': case 'AveragePool': case 'LpPool': {
      const out = x && pool(node, x);
      return out && [out, out];
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool':
      return x && [{ dims: x.dims.map((d, i) => (i < 2 ? d : 1)) }];
    case 'Gemm': return x && inputs[1] && [gemm(node, x, inputs[1])];
    case 'MatMul': return x && inputs[1] && [matmul(x.dims, inputs[1].dims)];
    case 'ArgMax': case 'ArgMin': return x && [reduceAxes(x.dims, [intAttribute(node, 'axis', 0)], intAttribute(node, 'keepdims', 1) === 1)];
    default: return dataMovementShapes(node, inputs);
  }
}

const isFloat = (t: number | undefined): boolean => t === DataType.FLOAT || t === DataType.DOUBLE || t === DataType.FLOAT16 || t === DataType.BFLOAT16;

function castValues(x: KnownShape, to: number | undefined): KnownShape {
  if (!x.values || to === undefined) return x;
  const integer = !isFloat(to) && to !== DataType.STRING;
  return integer ? shaped(x.dims, x.values.map(Math.trunc)) : x;
}

function elementwise(inputs: Inputs, fn: ((a: number, b: number) => number) | null, floatDiv: boolean): Outputs {
  const given = inputs.filter((s): s is KnownShape => s !== undefined);
  if (given.length !== inputs.length || given.length === 0) return undefined;
  const dims = broadcast(given.map((s) => s.dims));
  if (!fn || given.length !== 2 || !given.every((s) => s.values) || product(dims) > 64) return [{ dims }];
  const [a, b] = given as [Required<KnownShape>, Required<KnownShape>];
  const op = floatDiv ? (p: number, q: number) => p / q : fn;
  return [shaped(dims, broadcastValues(dims, [a, b]).map(([p, q]) => op(p, q)))];
}

function where(inputs: Inputs): Outputs {
  const [c, a, b] = inputs;
  if (!c || !a || !b) return undefined;
  const dims = broadcast([c.dims, a.dims, b.dims]);
  if (!c.values || !a.values || !b.values) return [{ dims }];
  const pairs = broadcastValues(dims, [c as Required<KnownShape>, a as Required<KnownShape>, b as Required<KnownShape>]);
  return [shaped(dims, pairs.map(([k, p, q]) => (k ? p! : q!)))];
}

/** The operands' values at every index of the broadcast shape `dims`. */
function broadcastValues(dims: number[], operands: Required<KnownShape>[]): number[][] {
  const count = product(dims);
  const out: number[][] = [];
  for (let flat = 0; flat < count; flat++) {
    const index: number[] = [];
    let rest = flat;
    for (let i = dims.length - 1; i >= 0; i--) {
      index[i] = rest % dims[i]!;
      rest = Math.floor(rest / dims[i]!);
    }
    out.push(operands.map((o) => {
      let offset = 0;
      o.dims.forEach((d, i) => { offset = offset * d + (d === 1 ? 0 : index[dims.length - o.dims.length + i]!); });
      return o.values[offset]!;
    }));
  }
  return out;
}

/** Pads as [begin…, end…] for `rank` spatial axes, from auto_pad or the pads attribute. */
function spatialPads(node: NodeProto, inputs: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const autoPad = stringAttribute(node, 'auto_pad', 'NOTSET');
  const rank = kernel.length;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const pads = new Array<number>(2 * rank).fill(0);
    for (let i = 0; i < rank; i++) {
      const out = Math.ceil(inputs[i]! / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inputs[i]!);
      pads[i] = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pads[i + rank] = total - pads[i]!;
    }
    return pads;
  }
  if (autoPad === 'VALID') return new Array<number>(2 * rank).fill(0);
  return (intsAttribute(node, 'pads') ?? []).map(Number).concat(new Array<number>(2 * rank).fill(0)).slice(0, 2 * rank);
}

/** Output extent of a sliding window; 0 or less is a size the model cannot take. */
function windowed(node: NodeProto, what: string, inputs: number[], kernel: number[], ceil: boolean): number[] {
  const rank = kernel.length;
  const strides = (intsAttribute(node, 'strides') ?? []).map(Number);
  const dilations = (intsAttribute(node, 'dilations') ?? []).map(Number);
  const s = kernel.map((_, i) => strides[i] ?? 1);
  const d = kernel.map((_, i) => dilations[i] ?? 1);
  const pads = spatialPads(node, inputs, kernel, s, d);
  return kernel.map((k, i) => {
    const span = inputs[i]! + pads[i]! + pads[i + rank]! - d[i]! * (k - 1) - 1;
    const out = (ceil ? Math.ceil(span / s[i]!) : Math.floor(span / s[i]!)) + 1;
    if (span < 0 || out < 1) {
      throw new ShapeMismatch(`its ${what} ${k} (dilation ${d[i]}) does not fit an input extent of ${inputs[i]} (padded ${inputs[i]! + pads[i]! + pads[i + rank]!}) on spatial axis ${i}`);
    }
    // ceil_mode: the last window must start inside the (left-padded) input.
    return ceil && (out - 1) * s[i]! >= inputs[i]! + pads[i]! ? out - 1 : out;
  });
}

function convolution(node: NodeProto, x: KnownShape, w: KnownShape): KnownShape {
  const kernel = (intsAttribute(node, 'kernel_shape') ?? w.dims.slice(2).map(BigInt)).map(Number);
  const [n, c] = x.dims as [number, number];
  const group = intAttribute(node, 'group', 1);
  if (w.dims[1]! * group !== c) throw new ShapeMismatch(`input has ${c} channels, weights expect ${w.dims[1]! * group} (group ${group})`);
  return { dims: [n, w.dims[0]!, ...windowed(node, 'kernel', x.dims.slice(2), kernel, false)] };
}

function convTranspose(node: NodeProto, x: KnownShape, w: KnownShape): KnownShape {
  const group = intAttribute(node, 'group', 1);
  const spatial = x.dims.slice(2);
  const given = intsAttribute(node, 'output_shape')?.map(Number);
  if (given?.length) return { dims: [x.dims[0]!, w.dims[1]! * group, ...given.slice(-spatial.length)] };
  const kernel = (intsAttribute(node, 'kernel_shape') ?? w.dims.slice(2).map(BigInt)).map(Number);
  const strides = (intsAttribute(node, 'strides') ?? []).map(Number);
  const dilations = (intsAttribute(node, 'dilations') ?? []).map(Number);
  const outPad = (intsAttribute(node, 'output_padding') ?? []).map(Number);
  const pads = (intsAttribute(node, 'pads') ?? []).map(Number);
  const autoPad = stringAttribute(node, 'auto_pad', 'NOTSET');
  const out = spatial.map((d, i) => {
    const s = strides[i] ?? 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return d * s;
    return s * (d - 1) + (outPad[i] ?? 0) + ((kernel[i]! - 1) * (dilations[i] ?? 1) + 1) - (pads[i] ?? 0) - (pads[i + spatial.length] ?? 0);
  });
  return { dims: [x.dims[0]!, w.dims[1]! * group, ...out] };
}

function pool(node: NodeProto, x: KnownShape): KnownShape | undefined {
  const kernel = intsAttribute(node, 'kernel_shape')?.map(Number);
  if (!kernel) return undefined;
  const ceil = intAttribute(node, 'ceil_mode', 0) === 1;
  return { dims: [...x.dims.slice(0, 2), ...windowed(node, 'window', x.dims.slice(2), kernel, ceil)] };
}

function gemm(node: NodeProto, a: KnownShape, b: KnownShape): KnownShape {
  const [m, ka] = intAttribute(node, 'transA', 0) ? [a.dims[1]!, a.dims[0]!] : [a.dims[0]!, a.dims[1]!];
  const [kb, n] = intAttribute(node, 'transB', 0) ? [b.dims[1]!, b.dims[0]!] : [b.dims[0]!, b.dims[1]!];
  if (ka !== kb) throw new ShapeMismatch(`inner dimensions ${ka} and ${kb} differ`);
  return { dims: [m, n] };
}

function matmul(a: number[], b: number[]): KnownShape {
  const left = a.length === 1 ? [1, a[0]!] : a;
  const right = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = left[left.length - 1]!;
  const k2 = right[right.length - 2]!;
  if (k1 !== k2) throw new ShapeMismatch(`inner dimensions ${k1} and ${k2} differ ([${a.join(', ')}] × [${b.join(', ')}])`);
  const batch = broadcast([left.slice(0, -2), right.slice(0, -2)]);
  const dims = [...batch, ...(a.length === 1 ? [] : [left[left.length - 2]!]), ...(b.length === 1 ? [] : [right[right.length - 1]!])];
  return { dims };
}

function reduce(node: NodeProto, x: KnownShape, axesInput: KnownShape | undefined): KnownShape | undefined {
  const keep = intAttribute(node, 'keepdims', 1) === 1;
  let axes = intsAttribute(node, 'axes')?.map(Number);
  if (node.input?.[1]) {
    if (!axesInput?.values) return undefined;
    axes = axesInput.values;
  }
  if (!axes?.length) {
    if (intAttribute(node, 'noop_with_empty_axes', 0) === 1) return { dims: x.dims };
    axes = x.dims.map((_, i) => i);
  }
  return reduceAxes(x.dims, axes, keep);
}

function reduceAxes(dims: number[], axes: number[], keep: boolean): KnownShape {
  const set = new Set(axes.map((a) => normalizeAxis(a, dims.length)));
  return { dims: dims.flatMap((d, i) => (set.has(i) ? (keep ? [1] : []) : [d])) };
}
