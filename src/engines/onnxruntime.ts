import * as ort from 'onnxruntime-node';
import { Int8calError } from '../core/errors.js';
import type { TensorInfo } from '../onnx/graph.js';
import { Engine, type EngineOptions, type Feeds, type GraphRewrites, type HostTensor } from './engine.js';

/** ONNX Runtime's graph optimization level for each kind of rewrite. */
const ORT_LEVELS: Record<GraphRewrites, 'disabled' | 'basic' | 'all'> = { none: 'disabled', portable: 'basic', full: 'all' };

/** Session config entries (`extra.session`) the options ask for. */
function sessionConfig(options: EngineOptions): Pick<ort.InferenceSession.SessionOptions, 'extra'> {
  const session: Record<string, unknown> = {};
  if (options.sharedCores) Object.assign(session, { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } });
  // ORT's QDQ transformers (bias quantization among them) are what `kernels` means.
  if (options.qdq === 'as-written') session.disable_quant_qdq = '1';
  return Object.keys(session).length ? { extra: { session } } : {};
}

/** ONNX Runtime on CPU, the embedded default engine. */
export class OnnxRuntimeEngine extends Engine {
  private constructor(private readonly session: ort.InferenceSession) {
    super('onnxruntime-cpu', session.inputMetadata.map(metadataInfo), session.outputMetadata.map(metadataInfo));
  }

  /** Creates a session from a model path or the model's bytes (`name` labels errors). */
  static async create(model: string | Uint8Array, options: EngineOptions = {}, name = typeof model === 'string' ? model : '<model>'): Promise<OnnxRuntimeEngine> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: ORT_LEVELS[options.rewrites ?? 'portable'],
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
      ...(options.memoryArena === false ? { enableCpuMemArena: false } : {}),
      ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
      ...sessionConfig(options),
    };
    try {
      const session = typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
      return new OnnxRuntimeEngine(session);
    } catch (error) {
      throw translate(error, 'ENGINE_LOAD', `ONNX Runtime could not load ${name}`, name);
    }
  }

  static get version(): string {
    return ort.env.versions.node ?? 'unknown';
  }

  protected async runImpl(feeds: Feeds, outputNames: readonly string[]): Promise<Record<string, HostTensor>> {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      inputs[name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
    }
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(inputs, outputNames as string[]);
    } catch (error) {
      throw translate(error, 'ENGINE_RUN', 'ONNX Runtime failed to run the model');
    }
    const out: Record<string, HostTensor> = {};
    for (const name of outputNames) {
      const t = results[name]!;
      out[name] = { type: t.type, data: t.data as HostTensor['data'], dims: t.dims };
    }
    return out;
  }

  protected async disposeImpl(): Promise<void> {
    await this.session.release();
  }
}

function metadataInfo(m: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!m.isTensor) return { name: m.name, elementType: 'non-tensor', dims: [] };
  return { name: m.name, elementType: m.type, dims: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)) };
}

function translate(error: unknown, code: string, what: string, file?: string): Int8calError {
  const detail = (error as Error)?.message ?? String(error);
  const unknownOp = /Could not find an implementation for (\S+)|No opset import for domain|Unrecognized attribute|is not a registered function\/op/.exec(detail);
  return new Int8calError(code, `${what}: ${detail}`, {
    file,
    hint: unknownOp
      ? 'the model uses an operator this ONNX Runtime build does not implement; re-export it with standard ONNX ops'
      : 'check the model file and the input shapes',
  }, { cause: error });
}
