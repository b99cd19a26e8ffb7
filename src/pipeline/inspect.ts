import { readFile } from 'node:fs/promises';
import { Int8calError } from '../core/errors.js';
import { decodeModel } from '../onnx/model-file.js';
import { graphInputs, graphOutputs, opTypeCounts, parameterBytes, type TensorInfo } from '../onnx/graph.js';
import { choosePreset, metadataOf, resolvePreprocessing, describePreprocessing, type PresetChoice, type Preprocessing, type PreprocessingOptions } from '../../datasets/images/index.js';
import { chooseDetector, isDetectorChoice, type DetectorChoice } from '../metrics/detection/index.js';
import { selectImageInput } from './image-input.js';
import { outputsAtSize } from './output-dims.js';

/** What `int8cal inspect` reports about a model: plain data. */
export interface InspectReport {
  file: string;
  irVersion: number;
  producer: string;
  /** Domain ('' = ONNX) → version. */
  opsets: Record<string, number>;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  nodeCount: number;
  opTypes: Record<string, number>;
  parameterBytes: number;
  /** The preprocessing int8cal would use, or why it can't infer one without more flags. */
  preprocessing: ({ input: string; spec: Preprocessing; description: string } | { error: string; hint?: string }) & { preset: PresetChoice };
  /** The detector head evaluate would guess from the output shapes (absent when none or several fit). */
  detector?: DetectorChoice;
}

export interface InspectOptions extends PreprocessingOptions {
  /** Model input that receives images (when the model has several). */
  input?: string;
}

/** Reads a model and describes it, including the preprocessing int8cal would infer. */
export async function inspect(modelPath: string, options: InspectOptions = {}): Promise<InspectReport> {
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (error) {
    throw new Int8calError('MODEL_LOAD', `Cannot read model ${modelPath}: ${(error as Error).message}`, { file: modelPath }, { cause: error });
  }
  const model = decodeModel(bytes, modelPath);
  const graph = model.graph!;
  const inputs = graphInputs(graph);
  const outputs = graphOutputs(graph);
  const preprocessing = inferred(inputs, options, modelPath, metadataOf(model.metadataProps));
  const detector = 'spec' in preprocessing
    ? chooseDetector(outputsAtSize(model, outputs, preprocessing.input, preprocessing.spec), { input: { width: preprocessing.spec.width, height: preprocessing.spec.height } })
    : undefined;
  return {
    file: modelPath,
    irVersion: Number(model.irVersion ?? 0),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain ?? '', Number(o.version)])),
    inputs,
    outputs,
    nodeCount: graph.node?.length ?? 0,
    opTypes: opTypeCounts(graph),
    parameterBytes: parameterBytes(graph),
    preprocessing,
    ...(detector && isDetectorChoice(detector) ? { detector } : {}),
  };
}

function inferred(inputs: TensorInfo[], options: InspectOptions, modelPath: string, metadata: Record<string, string>): InspectReport['preprocessing'] {
  const preset = choosePreset(options.preset, metadata);
  try {
    const input = selectImageInput(inputs, options.input, modelPath);
    const spec = resolvePreprocessing(input, { ...options, preset: preset.preset });
    return { input: input.name, spec, description: describePreprocessing(spec), preset };
  } catch (error) {
    if (!(error instanceof Int8calError)) throw error;
    return { error: error.message, hint: error.subject.hint, preset };
  }
}
