/**
 * Calibration stand-in for the tests: amax = max |x| of every float activation over the given
 * feeds, from running the fp32 model with every activation as an extra output.
 */
import { OnnxRuntimeEngine } from '../../../src/engines/onnxruntime.js';
import type { Feeds } from '../../../src/engines/engine.js';
import { encodeModel } from '../../../src/onnx/model-file.js';
import { withExtraOutputs } from '../../../src/onnx/graph.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { activationTensors } from '../../../src/pipeline/prepare.js';

/** Outputs fetched per session, to bound memory on large inputs. */
const GROUP = 150;

export async function minmaxAmax(model: ModelProto, feeds: readonly Feeds[]): Promise<Map<string, number>> {
  const names = await activationTensors(model, 0);
  const amax = new Map<string, number>(names.map((n) => [n, 0]));
  for (let start = 0; start < names.length; start += GROUP) {
    const group = names.slice(start, start + GROUP);
    const engine = await OnnxRuntimeEngine.create(encodeModel(withExtraOutputs(model, group)), { rewrites: 'none' });
    try {
      for (const feed of feeds) {
        const outputs = await engine.run(feed, group);
        for (const name of group) {
          let max = amax.get(name)!;
          for (const v of outputs[name]!.data as Float32Array) {
            const a = Math.abs(v);
            if (a > max) max = a;
          }
          amax.set(name, max);
        }
      }
    } finally {
      await engine.dispose();
    }
  }
  return amax;
}
