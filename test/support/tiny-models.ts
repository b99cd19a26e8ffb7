import { writeFile } from 'node:fs/promises';
import { encodeModel } from '../../src/onnx/model-file.js';
import { DataType, type NodeProto, type TensorProto } from '../../src/onnx/proto.js';

/** A float tensor value-info with a static shape. */
const floatInfo = (name: string, dims: number[]) => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

/**
 * Writes a small real ONNX model: image input `x` [1,3,H,W] → the given nodes → outputs.
 * Tests use it for cases the sample models can't produce (NaN, all-zero activations, …).
 */
export async function writeTinyModel(path: string, spec: {
  nodes: NodeProto[];
  outputs: string[];
  initializers?: TensorProto[];
  size?: number;
  opset?: number;
}): Promise<void> {
  const size = spec.size ?? 8;
  const model = {
    irVersion: 7,
    producerName: 'int8cal-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'tiny',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: [floatInfo('x', [1, 3, size, size])],
      output: spec.outputs.map((name) => ({ name })),
    },
  };
  await writeFile(path, encodeModel(model));
}

export const scalar = (name: string, value: number): TensorProto => ({ name, dataType: DataType.FLOAT, dims: [], floatData: [value] });
