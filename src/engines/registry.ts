import { Int8calError } from '../core/errors.js';
import type { Engine, EngineOptions } from './engine.js';
import { OnnxRuntimeEngine } from './onnxruntime.js';
import { TensorRtEngine } from './tensorrt.js';

interface EngineBackend {
  /** Opens a model (a path or its bytes; `name` labels errors). */
  create(model: string | Uint8Array, options: EngineOptions, name?: string): Promise<Engine>;
  /** The backend library's version, for results' environment. */
  readonly version: string;
}

/** Every engine backend by kind: a new backend is its file and a line here. */
const ENGINES = {
  onnxruntime: OnnxRuntimeEngine,
  tensorrt: TensorRtEngine,
} as const satisfies Record<string, EngineBackend>;

export type EngineKind = keyof typeof ENGINES;
export const ENGINE_KINDS = Object.keys(ENGINES) as EngineKind[];

/** Every session int8cal opens goes through here. */
export function createEngine(kind: EngineKind, model: string | Uint8Array, options: EngineOptions = {}, name?: string): Promise<Engine> {
  const backend = ENGINES[kind] as EngineBackend | undefined;
  if (!backend) throw new Int8calError('UNKNOWN_ENGINE', `Unknown engine "${kind}"`, { hint: `choose one of ${ENGINE_KINDS.join(', ')}` });
  return backend.create(model, options, name);
}

/** Each backend's library version. */
export function engineVersions(): Record<EngineKind, string> {
  return Object.fromEntries(ENGINE_KINDS.map((k) => [k, ENGINES[k].version])) as Record<EngineKind, string>;
}
