import { imageDims, type Preprocessing } from '../../datasets/images/index.js';
import type { TensorInfo } from '../onnx/graph.js';
import { loadModel } from '../onnx/model-file.js';
import type { ModelProto } from '../onnx/proto.js';
import { inferShapes } from '../onnx/shapes/index.js';
import type { RunManifest } from '../run/schema.js';

const hasSymbolicDims = (outputs: readonly TensorInfo[]): boolean => outputs.some((o) => o.dims.slice(1).some((d) => typeof d !== 'number'));

/**
 * The model's outputs with the dims a dynamic-size export leaves symbolic (a YOLOv8 exported
 * with dynamic H×W has [batch, 4 + C, f(height, width)]) resolved at the input size `p` by
 * static shape inference, so a detector head is recognised from its shapes. The batch dim and
 * anything inference can't tell stay as declared.
 */
export function outputsAtSize(model: ModelProto, outputs: readonly TensorInfo[], input: string, p: Preprocessing): readonly TensorInfo[] {
  if (!hasSymbolicDims(outputs) || p.resize === 'fit') return outputs;
  let shapes: ReturnType<typeof inferShapes>['shapes'];
  try {
    shapes = inferShapes(model.graph!, { [input]: [1, ...imageDims(p)] }).shapes;
  } catch {
    return outputs; // a shape the model can't take: ONNX Runtime says so when it runs
  }
  return outputs.map((o) => {
    const known = shapes.get(o.name)?.dims;
    if (!known || known.length !== o.dims.length) return o;
    return { ...o, dims: o.dims.map((d, i) => (i === 0 || typeof d === 'number' ? d : known[i]!)) };
  });
}

/** `outputsAtSize` at the run's size, reading the model only when some output dim is symbolic. */
export async function outputsAtRunSize(modelPath: string, outputs: readonly TensorInfo[], run: RunManifest): Promise<readonly TensorInfo[]> {
  if (!hasSymbolicDims(outputs) || !run.preprocessing) return outputs;
  return outputsAtSize(await loadModel(modelPath), outputs, run.input, run.preprocessing);
}
