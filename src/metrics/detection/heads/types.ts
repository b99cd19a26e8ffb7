/**
 * A detector head decoder turns a model's raw output tensors into candidate detections
 * (before NMS) in model-input pixels. One file per head family; `index.ts` registers them.
 */
import type { NumericData } from '../../data.js';
import type { BoxFormat, Detection } from '../boxes.js';

/** A model output as the graph declares it (dims may be symbolic). */
export interface OutputShape {
  name: string;
  dims: readonly (number | string | null)[];
}

export interface HeadContext {
  /** Model input size in pixels: grid heads derive their strides' cell counts from it. */
  input: { width: number; height: number };
  /** Class columns to read (`--classes`); columns after them (mask coefficients…) are ignored. */
  classes?: number;
  /** boxes-scores: the outputs named by `--boxes` / `--scores`, and their box encoding. */
  boxes?: string;
  scores?: string;
  boxFormat?: BoxFormat;
}

/** Which outputs a decoder reads for one model, and why it fits. */
export interface HeadBinding {
  /** Output names in the order `decode` takes them. */
  outputs: string[];
  /** Classes when the shapes tell (or `--classes`); otherwise found per image at decode time. */
  classes?: number;
  /** Why these outputs are this head, e.g. "[1, 3549, 6]: one row per cell of strides 8/16/32 at 416×416". */
  reason: string;
}

/** Why a model's outputs are not this head (auto-detection lists these). */
export interface HeadMismatch {
  mismatch: string;
}

/** One image's slice of a bound output: dims without the batch dimension. */
export interface ImageTensor {
  /** The output's name (for messages). */
  name: string;
  data: NumericData;
  dims: readonly number[];
}

export interface HeadDecoder {
  /**
   * The outputs this head reads, or why the model is not this head. `strict` (auto-detection):
   * only shapes that cannot be another head match; otherwise a plausible layout is enough and
   * the real dims are checked per image.
   */
  bind(outputs: readonly OutputShape[], ctx: HeadContext, strict: boolean): HeadBinding | HeadMismatch;
  /** Candidates of one image scoring ≥ `scoreThreshold`, corners in model-input pixels. */
  decode(tensors: readonly ImageTensor[], ctx: HeadContext, scoreThreshold: number): Detection[];
}

export const isMismatch = (b: HeadBinding | HeadMismatch): b is HeadMismatch => 'mismatch' in b;
