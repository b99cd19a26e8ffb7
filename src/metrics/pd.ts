/**
 * Perceptual distance (PD): the L2 distance between feature-network embeddings of the
 * reference (fp32) and test outputs, for image-like outputs (N×1|3×H×W).
 *
 * From output tensor to network input, for each image of the batch:
 * 1. values → 0..255 pixels with one affine map for both images, taken from the reference
 *    (`autoRange`: [0,1], [−1,1] or [0,255] when the reference fits one, else its min..max;
 *    or a range the caller gives), clipped to 0..255 as a display would;
 * 2. one channel is replicated to three; three channels are read as RGB (`channelOrder: 'bgr'`
 *    swaps them);
 * 3. bilinear resize (half-pixel centres) to the network's input size;
 * 4. the network's own normalisation: (pixel·scale − mean[c]) / std[c] (from the table of known
 *    networks, or the caller's `input` spec), in the layout of its input (NCHW or NHWC).
 * The embedding is the named tensor, flattened. PD per image = ‖e_ref − e_test‖₂; the result
 * is the mean over images, with a verdict only when the network's threshold is known
 * (pd-networks.ts) or given.
 *
 * "PD on the model's own penultimate features" needs no feature network: evaluate asks every
 * variant for that tensor too and feeds both embeddings to `featurePd(tensor)`.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Int8calError, InternalError, invalidParameter } from '../core/errors.js';
import type { Engine } from '../engines/engine.js';
import { createEngine } from '../engines/registry.js';
import { loadModel, encodeModel } from '../onnx/model-file.js';
import { withExtraOutputs } from '../onnx/graph.js';
import { toRgbPixels, type ImagePlanes, type ValueRange } from './image-output.js';
import {
  DEFAULT_FEATURE_NETWORK_ID, KNOWN_FEATURE_NETWORKS, knownFeatureNetwork, recognizeFeatureNetwork, thresholdApplies,
  type FeatureInputSpec, type KnownFeatureNetwork,
} from './pd-networks.js';
import { summarize } from './stats.js';
import { type NumericData } from './data.js';
import { checked } from '../../reports/verdict.js';
import type { PdResult } from '../../reports/metric-results.js';
export type { PdResult };

/** Where `npm run datasets` puts the default network (this file runs as dist/src/metrics/pd.js). */
export const DEFAULT_PD_MODEL = fileURLToPath(new URL('../../../datasets/models/fr_expression.onnx', import.meta.url));

export function l2Distance(a: NumericData, b: NumericData): number {
  if (a.length !== b.length) throw new InternalError(`embeddings of length ${a.length} and ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export interface PdAccumulatorOptions {
  network: string;
  tensor: string;
  threshold?: number;
  thresholdSource?: string;
  /** The threshold holds only for embeddings of this length (known networks). */
  featureSize?: number;
}

/** Streaming PD over embedding pairs. */
export class PdAccumulator {
  readonly #distances: (number | null)[] = [];
  #featureSize = -1;

  constructor(readonly options: PdAccumulatorOptions) {}

  /**
   * One image whose test output has NaN/±Inf where the reference differs: not embedded (the
   * pixel mapping would turn NaN into black and hide it), counted as broken.
   */
  addBroken(): void {
    this.#distances.push(null);
  }

  /** Adds one image's embeddings; returns its PD (null when an embedding is broken). */
  add(reference: NumericData, test: NumericData): number | null {
    if (this.#featureSize >= 0 && reference.length !== this.#featureSize) throw new InternalError(`embedding length changed from ${this.#featureSize} to ${reference.length}`);
    this.#featureSize = reference.length;
    const d = l2Distance(reference, test);
    const value = Number.isFinite(d) ? d : null;
    this.#distances.push(value);
    return value;
  }

  result(): PdResult {
    if (this.#distances.length === 0) throw new InternalError('PD of no images');
    const finite = this.#distances.filter((d): d is number => d !== null);
    const brokenImages = this.#distances.length - finite.length;
    const summary = finite.length > 0 ? summarize(finite) : undefined;
    const value = summary?.mean ?? 0;
    const { network, tensor, featureSize } = this.options;
    // Every image broken: no embedding size to check, and the threshold still applies (and fails).
    const sizeFits = featureSize === undefined || this.#featureSize < 0 || featureSize === this.#featureSize;
    const threshold = sizeFits ? this.options.threshold : undefined;
    const check = checked(value, threshold, 'max');
    if (check.verdict && brokenImages > 0) check.verdict = 'fail';
    return {
      metric: 'pd',
      value,
      ...(summary ? { summary } : {}),
      perImage: [...this.#distances],
      network,
      tensor,
      featureSize: this.#featureSize,
      brokenImages,
      ...check,
      ...(threshold !== undefined && this.options.thresholdSource ? { thresholdSource: this.options.thresholdSource } : {}),
    };
  }
}

/** PD on a tensor both variants output themselves (e.g. the model's penultimate features). */
export const featurePd = (tensor: string, threshold?: number): PdAccumulator =>
  new PdAccumulator({ network: 'model', tensor, threshold, thresholdSource: threshold === undefined ? undefined : 'given by the user' });

export interface FeatureNetworkOptions {
  /** ONNX file (default DEFAULT_PD_MODEL). */
  model?: string;
  /** Feature tensor (default: the known network's). */
  tensor?: string;
  /** A known network id, when the file's name does not say which one it is. */
  network?: string;
  /** Overrides the known threshold (or gives one for an unknown network). */
  threshold?: number;
  /** Overrides the known input spec; required in full for an unknown network with dynamic H/W. */
  input?: Partial<FeatureInputSpec>;
  threads?: number;
}

/** A feature network loaded for PD: turns one image into one embedding. */
export class FeatureNetwork {
  private constructor(
    private readonly engine: Engine,
    /** Known id, or the model file's name. */
    readonly id: string,
    readonly file: string,
    readonly tensor: string,
    readonly input: FeatureInputSpec & { name: string; layout: 'NCHW' | 'NHWC' },
    readonly known: KnownFeatureNetwork | undefined,
    readonly threshold: number | undefined,
    readonly thresholdSource: string | undefined,
    /** The known network's embedding length when its own threshold is used. */
    private readonly thresholdFeatureSize: number | undefined,
  ) {}

  static async create(options: FeatureNetworkOptions = {}): Promise<FeatureNetwork> {
    const file = options.model ?? DEFAULT_PD_MODEL;
    const named = options.network === undefined ? undefined : knownFeatureNetwork(options.network);
    if (options.network !== undefined && !named) throw invalidParameter('PD network', `one of ${knownIds()}`, options.network);
    const family = named ?? (options.model === undefined ? knownFeatureNetwork(DEFAULT_FEATURE_NETWORK_ID) : recognizeFeatureNetwork(basename(file)));
    const tensor = options.tensor ?? family?.tensor;
    if (tensor === undefined) {
      throw new Int8calError('PD_TENSOR', `No feature tensor given for PD network ${file}`, { file, hint: 'pass --pd-tensor NAME (e.g. the output of its global average pool)' });
    }
    // The family's input spec holds for any of its tensors; its threshold only for the tensor it was set on.
    const known = family && thresholdApplies(family, tensor) ? family : undefined;
    const model = await loadModel(file);
    const produced = new Set([...(model.graph?.node ?? []).flatMap((n) => n.output ?? []), ...(model.graph?.output ?? []).map((o) => o.name)]);
    if (!produced.has(tensor)) {
      throw new Int8calError('PD_TENSOR', `PD network ${basename(file)} has no tensor ${JSON.stringify(tensor)}`, { file, tensor, hint: 'check --pd-tensor against the network (netron shows tensor names)' });
    }
    const engine = await createEngine('onnxruntime', encodeModel(withExtraOutputs(model, [tensor])), { threads: options.threads ?? 0, rewrites: 'portable' }, file);
    try {
      const input = networkInput(engine, file, { ...family?.input, ...options.input });
      const own = options.threshold === undefined;
      const threshold = own ? known?.threshold : options.threshold;
      const source = own ? known?.thresholdSource : 'given by the user';
      return new FeatureNetwork(engine, family?.id ?? basename(file), file, tensor, input, known, threshold, source, own ? known?.featureSize : undefined);
    } catch (error) {
      await engine.dispose();
      throw error;
    }
  }

  /** The embedding of one image whose values span `range`. */
  async embed(image: ImagePlanes, range: ValueRange, channelOrder: 'rgb' | 'bgr' = 'rgb'): Promise<Float32Array> {
    const { width, height, scale, mean, std, layout, name } = this.input;
    const rgb = toRgbPixels(image, range, width, height);
    if (channelOrder === 'bgr') rgb.reverse();
    const plane = width * height;
    const data = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      const px = rgb[c]!;
      for (let i = 0; i < plane; i++) {
        const v = (px[i]! * scale - mean[c]!) / std[c]!;
        data[layout === 'NCHW' ? c * plane + i : i * 3 + c] = v;
      }
    }
    const dims = layout === 'NCHW' ? [1, 3, height, width] : [1, height, width, 3];
    const out = await this.engine.run({ [name]: { type: 'float32', data, dims } }, [this.tensor]);
    return Float32Array.from(out[this.tensor]!.data as Float32Array);
  }

  /** A PD accumulator labelled with this network and carrying its threshold (if any). */
  accumulator(): PdAccumulator {
    return new PdAccumulator({
      network: this.id,
      tensor: this.tensor,
      threshold: this.threshold,
      thresholdSource: this.thresholdSource,
      featureSize: this.thresholdFeatureSize,
    });
  }

  async dispose(): Promise<void> {
    await this.engine.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function knownIds(): string {
  return KNOWN_FEATURE_NETWORKS.map((n) => n.id).join(', ');
}

function networkInput(engine: Engine, file: string, spec: Partial<FeatureInputSpec>): FeatureInputSpec & { name: string; layout: 'NCHW' | 'NHWC' } {
  const input = engine.inputs[0];
  if (!input || engine.inputs.length !== 1 || input.dims.length !== 4) {
    throw new Int8calError('PD_NETWORK', `PD network ${basename(file)} must have one 4-D image input`, { file, hint: 'use an image classifier or feature extractor as the PD network' });
  }
  const dim = (i: number): number | undefined => (typeof input.dims[i] === 'number' && (input.dims[i] as number) > 0 ? (input.dims[i] as number) : undefined);
  const layout = dim(1) === 3 ? 'NCHW' : dim(3) === 3 ? 'NHWC' : undefined;
  if (!layout) throw new Int8calError('PD_NETWORK', `PD network ${basename(file)} input ${input.name} has no 3-channel dimension`, { file, tensor: input.name });
  const [h, w] = layout === 'NCHW' ? [dim(2), dim(3)] : [dim(1), dim(2)];
  const width = w ?? spec.width;
  const height = h ?? spec.height;
  const { scale, mean, std } = spec;
  if (width === undefined || height === undefined || scale === undefined || !mean || !std) {
    throw new Int8calError('PD_NETWORK', `PD network ${basename(file)} is not a known network, so its input size and normalisation must be given`, {
      file, hint: 'pass the input spec (width, height, scale, mean, std) or a known network id',
    });
  }
  return { name: input.name, layout, width, height, scale, mean, std };
}
