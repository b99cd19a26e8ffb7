import test from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engines/registry.js';
import { withExtraOutputs } from '../../src/onnx/graph.js';
import { encodeModel, loadModel } from '../../src/onnx/model-file.js';
import { Histogram } from '../../src/core/native.js';
import { activationTensors, prepareModel } from '../../src/pipeline/prepare.js';
import { permutationAliases } from '../../src/pipeline/tensor-aliases.js';
import { model } from '../support/paths.js';

test('Reshape/Transpose/… outputs of fr_detect have exactly the histogram of the tensor they rearrange; Relu outputs are no alias', async () => {
  const prepared = await prepareModel(await loadModel(model('fr_detect.onnx')), 1);
  const tensors = await activationTensors(prepared, 1);
  const aliases = permutationAliases(prepared, tensors);
  assert.ok(aliases.size >= 4, `expected the detection head's reshapes, got ${aliases.size}`);
  const producer = new Map((prepared.graph!.node ?? []).map((n) => [n.output![0]!, n.opType]));
  for (const [alias, root] of aliases) {
    assert.ok(['Identity', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten'].includes(producer.get(alias)!), `${alias} is a ${producer.get(alias)}`);
    assert.ok(tensors.includes(root) && !aliases.has(root), `${alias} → ${root} is a counted tensor`);
  }
  for (const [output, op] of producer) if (op === 'Relu') assert.ok(!aliases.has(output), `Relu output ${output} aliased`);
  // The claim itself, on real activations of a non-constant input.
  const names = [...new Set([...aliases.keys(), ...aliases.values()])].filter((n) => n !== 'input');
  const engine = await createEngine('onnxruntime', encodeModel(withExtraOutputs(prepared, names)), { threads: 1, rewrites: 'full' });
  try {
    const data = Float32Array.from({ length: 3 * 240 * 320 }, (_, i) => Math.sin(i * 0.37) * 0.9);
    const outputs = await engine.run({ input: { type: 'float32', data, dims: [1, 3, 240, 320] } }, names);
    const histogramOf = async (name: string) => {
      const h = new Histogram('exact');
      await h.accumulate(name === 'input' ? data : outputs[name]!.data as Float32Array);
      return h.serialize();
    };
    for (const [alias, root] of aliases) assert.deepEqual(await histogramOf(alias), await histogramOf(root), `${alias} vs ${root}`);
  } finally {
    await engine.dispose();
  }
});
