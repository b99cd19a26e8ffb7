import type { QdqExecution } from '../../../engines/engine.js';
import type { GraphProto, ModelProto } from '../../proto.js';
import type { VariantModelFile } from '../../../run/layout.js';
import type { ExcludePattern } from '../exclude.js';
import type { GraphIndex } from '../graph-index.js';
import type { PlanBuilder } from '../plan.js';
import type { ActivationScales } from '../scales.js';
import type { ActivationParams, BuildInt8Options } from '../types.js';

/**
 * Where a Q/DQ model puts its quantizers, for one consumer (TensorRT, ONNX Runtime CPU…): all
 * that differs between placements is here, so a new placement is one file and a registry line.
 */
export interface QdqPlacement {
  /** `--target` name, e.g. "tensorrt". */
  readonly name: string;
  /** What it does and for whom, for `build --help` (lines of at most ~90 characters). */
  readonly description: string;
  /** The variant it builds, as results name it, and the run file it is written to. */
  readonly variant: string;
  readonly runFile: VariantModelFile;
  /** The variant and run file `tune` writes for this placement (some nodes kept in float). */
  readonly tunedVariant: string;
  readonly tunedRunFile: VariantModelFile;
  /** How ONNX Runtime runs this placement's models: its own int8 kernels, or as an emulation of the consumer. */
  readonly qdqOnOrt: QdqExecution;
  /** Latency of a tuned step when ONNX Runtime CPU can't time what this placement targets. */
  readonly latencyNote?: string;
  readonly activationType: ActivationParams['type'];
  /** Op types it never quantizes, and why (coverage names the reason for each such op). */
  readonly floatOps?: Readonly<Partial<Record<string, string>>>;
  /** Whether `--ort-weight-bits` applies (recorded in build.json when it does). */
  readonly usesOrtWeightBits: boolean;
  /** Largest |int8 weight|. */
  weightLevels(ortWeightBits?: 7 | 8): number;
  /** Exact rewrites before placement (what its consumer won't fuse by itself). */
  prepare(model: ModelProto, excludes: readonly ExcludePattern[]): { model: ModelProto; foldedHardSigmoids: number; foldedAdds: number };
  /** Tensors that must share one scale. */
  joinScales(index: GraphIndex, scales: ActivationScales): void;
  /** Marks the nodes to quantize in the plan. */
  place(plan: PlanBuilder): void;
  /** Rewrites of the placed graph. */
  finish(graph: GraphProto): { graph: GraphProto; foldedScaleOps: number };
  /** What build.json says about this placement's choices. */
  notes(options: BuildInt8Options): string[];
}
