import type { ModelProto } from '../onnx/proto.js';

/**
 * Ops whose output holds exactly the values of their first input, only rearranged: its
 * histogram is the input's, so calibration needn't fetch or count it. (A Relu, Clip or Cast
 * output is not such a tensor: its values differ.)
 */
export const VALUE_PRESERVING_OPS: readonly string[] = ['Identity', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten'];

/**
 * Tensors among `tensors` that are a rearrangement of another of them, each mapped to the
 * tensor actually histogrammed (chains followed to their root).
 */
export function permutationAliases(model: ModelProto, tensors: readonly string[]): Map<string, string> {
  const wanted = new Set(tensors);
  const sourceOf = new Map<string, string>();
  for (const node of model.graph?.node ?? []) {
    const input = node.input?.[0];
    const output = node.output?.[0];
    if (!input || !output || !VALUE_PRESERVING_OPS.includes(node.opType ?? '') || (node.domain ?? '') !== '') continue;
    sourceOf.set(output, input);
  }
  const aliases = new Map<string, string>();
  for (const name of tensors) {
    // Up the chain while the source is itself histogrammed (not a weight reshaped, say).
    let root = name;
    for (let hops = 0; wanted.has(sourceOf.get(root) ?? '') && hops <= sourceOf.size; hops++) root = sourceOf.get(root)!;
    if (root !== name) aliases.set(name, root);
  }
  return aliases;
}
