/**
 * Small real ONNX models for the fault matrix (test/faults): odd inputs, unknown ops, NaN
 * outputs, external data. Each is a valid protobuf that ONNX Runtime loads (unless the point
 * of the model is that it can't).
 */
import { writeFile } from 'node:fs/promises';
import { encodeModel } from '../../src/onnx/model-file.js';
import { onnx, DataType, type ModelProto, type NodeProto, type TensorProto } from '../../src/onnx/proto.js';

/** A graph input: dims are numbers (static) or names (symbolic, i.e. dynamic). */
export interface InputSpec {
  name: string;
  dims: (number | string)[];
  elemType?: number;
}

const valueInfo = ({ name, dims, elemType = DataType.FLOAT }: InputSpec) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

export interface ModelSpec {
  inputs?: InputSpec[];
  nodes: NodeProto[];
  outputs: string[];
  initializers?: TensorProto[];
  opset?: number;
  /** Extra opset imports, e.g. a custom domain. */
  domains?: { domain: string; version: number }[];
}

/** The default image input: dynamic batch, 3×16×16 (tiny, so calibration takes milliseconds). */
export const IMAGE_INPUT: InputSpec = { name: 'x', dims: ['N', 3, 16, 16] };

export function tinyModel(spec: ModelSpec): ModelProto {
  return {
    irVersion: 7,
    producerName: 'int8cal-faults',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }, ...(spec.domains ?? [])],
    graph: {
      name: 'faults',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: (spec.inputs ?? [IMAGE_INPUT]).map(valueInfo),
      output: spec.outputs.map((name) => ({ name })),
    },
  };
}

export async function writeModel(path: string, spec: ModelSpec): Promise<string> {
  await writeFile(path, encodeModel(tinyModel(spec)));
  return path;
}

export const scalar = (name: string, value: number): TensorProto => ({ name, dataType: DataType.FLOAT, dims: [], floatData: [value] });

/** x → x·0.5 → Relu → y: the plain model most image cases are fed through. */
export const reluSpec = (input: InputSpec = IMAGE_INPUT): ModelSpec => ({
  inputs: [input],
  initializers: [scalar('half', 0.5)],
  nodes: [
    { name: 'scale', opType: 'Mul', input: [input.name, 'half'], output: ['scaled'] },
    { name: 'relu', opType: 'Relu', input: ['scaled'], output: ['y'] },
  ],
  outputs: ['y'],
});

/** log(x − 128): NaN for dark pixels, −Inf at 128, finite elsewhere (with --preset raw). */
export const nanSpec = (): ModelSpec => ({
  initializers: [scalar('offset', 128)],
  nodes: [
    { name: 'center', opType: 'Sub', input: ['x', 'offset'], output: ['centered'] },
    { name: 'log', opType: 'Log', input: ['centered'], output: ['log'] },
  ],
  outputs: ['log'],
});

/** An output that is always zero. */
export const zeroSpec = (): ModelSpec => ({
  initializers: [scalar('zero', 0)],
  nodes: [
    { name: 'mul', opType: 'Mul', input: ['x', 'zero'], output: ['zeros'] },
    { name: 'relu', opType: 'Relu', input: ['x'], output: ['y'] },
  ],
  outputs: ['zeros', 'y'],
});

/** A node of an operator nobody implements, in a custom domain. */
export const unknownOpSpec = (): ModelSpec => ({
  domains: [{ domain: 'com.example.faults', version: 1 }],
  nodes: [
    { name: 'relu', opType: 'Relu', input: ['x'], output: ['r'] },
    { name: 'mystery_node', opType: 'FrobnicateV7', domain: 'com.example.faults', input: ['r'], output: ['y'] },
  ],
  outputs: ['y'],
});

/** An image input plus a second float input (e.g. a scale factor) that images can't feed. */
export const twoInputSpec = (): ModelSpec => ({
  inputs: [IMAGE_INPUT, { name: 'gain', dims: [1] }],
  nodes: [
    { name: 'mul', opType: 'Mul', input: ['x', 'gain'], output: ['m'] },
    { name: 'relu', opType: 'Relu', input: ['m'], output: ['y'] },
  ],
  outputs: ['y'],
});

/** Whose weight `w` lives in an external file next to the model. */
export function externalDataSpec(location: string): ModelSpec {
  const external: TensorProto = {
    name: 'w', dataType: DataType.FLOAT, dims: [1],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: location }, { key: 'offset', value: '0' }, { key: 'length', value: '4' }],
  };
  return {
    initializers: [external],
    nodes: [{ name: 'mul', opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
    outputs: ['y'],
  };
}

const int64s = (name: string, values: number[]): TensorProto => ({ name, dataType: DataType.INT64, dims: [values.length], int64Data: values });

/**
 * A detector that never detects: `boxes` [N, 192, 4] from the pixels, `scores` [N, 192, 2]
 * (background, face) all zero — nothing reaches any score threshold.
 */
export const blindDetectorSpec = (): ModelSpec => ({
  initializers: [int64s('shape4', [0, -1, 4]), int64s('start', [0]), int64s('end', [2]), int64s('axis', [2]), scalar('zero', 0)],
  nodes: [
    { name: 'boxes_reshape', opType: 'Reshape', input: ['x', 'shape4'], output: ['boxes'] },
    { name: 'pair', opType: 'Slice', input: ['boxes', 'start', 'end', 'axis'], output: ['pair'] },
    { name: 'blind', opType: 'Mul', input: ['pair', 'zero'], output: ['scores'] },
  ],
  outputs: ['boxes', 'scores'],
});

/** An int64 output (ArgMax over channels) next to a float one. */
export const integerOutputSpec = (): ModelSpec => ({
  nodes: [
    { name: 'relu', opType: 'Relu', input: ['x'], output: ['y'] },
    { name: 'argmax', opType: 'ArgMax', input: ['y'], output: ['label'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
  ],
  outputs: ['y', 'label'],
});
