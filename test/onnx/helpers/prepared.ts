/** The prepared fp32 reference of a sample model (opset upgrade + ORT basic folding), cached per process. */
import { loadModel } from '../../../src/onnx/model-file.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { upgradeOpset } from '../../../src/onnx/upgrade/index.js';
import { prepareModel } from '../../../src/pipeline/prepare.js';

const cache = new Map<string, Promise<ModelProto>>();

export function preparedModel(path: string): Promise<ModelProto> {
  let prepared = cache.get(path);
  if (!prepared) {
    prepared = loadModel(path).then((m) => prepareModel(upgradeOpset(m), 0));
    cache.set(path, prepared);
  }
  return prepared;
}
