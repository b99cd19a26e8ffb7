import { Int8calError } from '../../core/errors.js';
import type { HostTensor } from '../../engines/engine.js';
import type { TensorInfo } from '../../onnx/graph.js';
import type { Geometry } from '../../../datasets/images/index.js';
import {
  chooseDetector, decodeHead, DETECTORS, isDetectorChoice, nms, toSourcePixels,
  type BoxFormat, type Detection, type DetectorChoice, type DetectorName, type HeadContext, type NoDetector,
} from '../../metrics/detection/index.js';
import type { Task } from '../../../reports/results-schema.js';
import type { Engine } from '../../engines/engine.js';
import { defaultOf } from '../../options.js';
import { runPath } from '../../run/layout.js';
import type { RunManifest } from '../../run/schema.js';
import { outputsAtRunSize } from '../output-dims.js';

/** How detections are read from the outputs: the head, its thresholds, the box encoding of boxes-scores. */
export interface DetectionSpec extends DetectorChoice {
  boxFormat: BoxFormat;
  scoreThreshold: number;
  nmsIou: number;
}

export interface TaskOptions {
  task: Task | 'auto';
  detector: DetectorName | 'auto';
  classes?: number;
  boxes?: string;
  scores?: string;
  boxFormat: BoxFormat;
  scoreThreshold: number;
  nmsIou: number;
  /** Model input size in pixels (grid heads need it). */
  input: { width: number; height: number };
}

export interface ResolvedTask {
  task: Task;
  detection?: DetectionSpec;
  /** Why no detector was guessed although the outputs look like several heads (for a warning). */
  ambiguous?: string;
}

const headContext = (o: TaskOptions): HeadContext => ({
  input: o.input, boxFormat: o.boxFormat,
  ...(o.classes !== undefined ? { classes: o.classes } : {}), ...(o.boxes ? { boxes: o.boxes } : {}), ...(o.scores ? { scores: o.scores } : {}),
});

const reasonsText = (none: NoDetector): string => Object.entries(none.reasons).map(([d, r]) => `${d}: ${r}`).join('; ');

/**
 * The task whose metrics apply. Detection when `--detector` names a head, or (auto) when the
 * outputs are one head unambiguously (named boxes/scores, or one grid head's exact shapes);
 * classification for a single [N, K] output, map for a single 1-channel image-like output.
 */
export function resolveTask(outputs: readonly TensorInfo[], o: TaskOptions): ResolvedTask {
  for (const [flag, name] of [['--boxes', o.boxes], ['--scores', o.scores]] as const) {
    if (name !== undefined && !outputs.some((t) => t.name === name)) {
      throw new Int8calError('TASK_OUTPUTS', `${flag} ${name}: the model has no output ${JSON.stringify(name)}`, {
        tensor: name, hint: `outputs: ${outputs.map((t) => t.name).join(', ')}`,
      });
    }
  }
  if (o.task !== 'auto' && o.task !== 'detection') return { task: o.task };
  const explicit = o.detector !== 'auto' ? o.detector : (o.boxes || o.scores) ? 'boxes-scores' : undefined;
  const choice = chooseDetector(outputs, headContext(o), explicit);
  if (isDetectorChoice(choice)) return { task: 'detection', detection: { ...choice, boxFormat: o.boxFormat, scoreThreshold: o.scoreThreshold, nmsIou: o.nmsIou } };
  const several = choice.candidates.length > 1;
  if (o.task === 'detection') {
    throw new Int8calError('TASK_OUTPUTS', several ? `The outputs fit several detector heads (${choice.candidates.join(', ')})` : `No detector head fits the outputs (${reasonsText(choice)})`, {
      hint: `pass --detector (${DETECTORS.join(', ')}); for separate tensors --boxes NAME --scores NAME (outputs: ${outputs.map((t) => t.name).join(', ')})`,
    });
  }
  const other = otherTask(outputs, o.input);
  return several ? { ...other, ambiguous: `the outputs fit several detector heads (${choice.candidates.join(', ')}): pass --detector to score detections` } : other;
}

/**
 * The input size grid heads are guessed at: the preprocessing's, or the model input's static
 * H×W (NCHW) for tensor data and `--resize fit`; 0×0 when unknown (only --detector then).
 */
export function headInputSize(pre: { resize: string; width: number; height: number } | undefined, dims: readonly unknown[]): { width: number; height: number } {
  if (pre && pre.resize !== 'fit') return { width: pre.width, height: pre.height };
  const [h, w] = [dims[2], dims[3]];
  return typeof h === 'number' && typeof w === 'number' ? { width: w, height: h } : { width: 0, height: 0 };
}

/** Task flags as evaluate and tune take them; unset ones take the options table's defaults. */
export type TaskFlags = Partial<Omit<TaskOptions, 'input'>>;

/**
 * The task a run's fp32 reference is judged by: its outputs at the run's input size (a dynamic-size
 * export's symbolic dims resolved) and the task flags. evaluate and tune's probe both resolve it here.
 */
export async function resolveRunTask(runDir: string, run: RunManifest, reference: Engine, o: TaskFlags): Promise<ResolvedTask> {
  const input = reference.inputs.find((i) => i.name === run.input)!;
  return resolveTask(await outputsAtRunSize(runPath(runDir, 'fp32'), reference.outputs, run), {
    task: o.task ?? (defaultOf('task') as Task | 'auto'), detector: o.detector ?? (defaultOf('detector') as DetectorName | 'auto'), classes: o.classes,
    boxes: o.boxes, scores: o.scores, input: headInputSize(run.preprocessing, input.dims),
    boxFormat: o.boxFormat ?? (defaultOf('boxFormat') as BoxFormat), scoreThreshold: o.scoreThreshold ?? defaultOf('scoreThreshold'), nmsIou: o.nmsIou ?? defaultOf('nmsIou'),
  });
}

function otherTask(outputs: readonly TensorInfo[], input: { width: number; height: number }): { task: Task } {
  // An integer output (ArgMax labels) is scored by exact agreement, not as scores or a probability map.
  if (outputs.length === 1 && /float|double/.test(outputs[0]!.elementType)) {
    const dims = outputs[0]!.dims;
    if (dims.length === 2) return { task: 'classification' };
    if (dims.length === 4 && dims[1] === 1) return { task: 'map' };
    // Class scores per pixel at the input's resolution: a segmentation model (feature maps are smaller).
    if (dims.length === 4 && typeof dims[1] === 'number' && dims[1] >= 2 && dims[2] === input.height && dims[3] === input.width) return { task: 'segmentation' };
  }
  return { task: 'none' };
}

/** The head part of a spec (for results.json's evaluation settings). */
export const detectionChoiceOf = ({ detector, outputs, classes, reason, guessed }: DetectionSpec): DetectorChoice =>
  ({ detector, outputs, ...(classes !== undefined ? { classes } : {}), reason, guessed });

/** One image's detections in source-photo pixels: decode the head, NMS, map back through the reader's geometry. */
export function detectionsOf(outputs: Record<string, HostTensor>, spec: DetectionSpec, n: number, geometry: Geometry, input: { width: number; height: number }): Detection[] {
  const candidates = decodeHead(spec, outputs as Record<string, { data: Float32Array; dims: readonly number[] }>, n, { input, boxFormat: spec.boxFormat }, spec.scoreThreshold);
  return nms(candidates, { scoreThreshold: spec.scoreThreshold, iouThreshold: spec.nmsIou }).map((d) => toSourcePixels(d, geometry));
}

