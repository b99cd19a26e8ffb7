/**
 * The detector-head registry: adding a head = its decoder file + one line here. `DETECTORS`
 * (the `--detector` choices) is this registry's keys.
 */
import { Int8calError, InternalError } from '../../../core/errors.js';
import { sliceView, type NumericData } from '../../data.js';
import type { DetectorChoice as ResultsDetectorChoice } from '../../../../reports/metric-results.js';
import type { Detection } from '../boxes.js';
import { boxesScores } from './boxes-scores.js';
import { picodet } from './picodet.js';
import { isMismatch, type HeadContext, type HeadDecoder, type OutputShape } from './types.js';
import { yolov5 } from './yolov5.js';
import { yolov8 } from './yolov8.js';
import { yolox } from './yolox.js';

export const HEAD_DECODERS = {
  yolov5,
  yolov8,
  yolox,
  picodet,
  'boxes-scores': boxesScores,
} as const satisfies Record<string, HeadDecoder>;

export type DetectorName = keyof typeof HEAD_DECODERS;
export const DETECTORS = Object.keys(HEAD_DECODERS) as DetectorName[];

/** The head a model's outputs are decoded with, and why (plain data: it goes into results.json). */
export interface DetectorChoice extends ResultsDetectorChoice {
  detector: DetectorName;
}

/** No head fits, or several do: each decoder's verdict, for the message. */
export interface NoDetector {
  candidates: DetectorName[];
  reasons: Partial<Record<DetectorName, string>>;
}

/**
 * The given `detector` bound to the model's outputs (a clear error when they don't fit), or with
 * none the head guessed from the shapes: outputs named boxes/scores first, then the one grid
 * head whose shapes fit exactly; `NoDetector` when none or several do.
 */
export function chooseDetector(outputs: readonly OutputShape[], ctx: HeadContext, detector?: DetectorName): DetectorChoice | NoDetector {
  if (detector) {
    const decoder = HEAD_DECODERS[detector] as HeadDecoder | undefined;
    if (!decoder) throw new InternalError(`no head decoder ${detector}`);
    const b = decoder.bind(outputs, ctx, false);
    if (isMismatch(b)) {
      throw new Int8calError('DETECTOR_OUTPUTS', `The outputs are not a ${detector} head: ${b.mismatch}`, {
        hint: `outputs: ${outputs.map((o) => `${o.name} [${o.dims.join(', ')}]`).join(', ')}; pick another --detector (${DETECTORS.join(', ')})`,
      });
    }
    return { detector, ...b, guessed: false };
  }
  const named = boxesScores.bind(outputs, ctx, true);
  if (!isMismatch(named)) return { detector: 'boxes-scores', ...named, guessed: true };
  const reasons: NoDetector['reasons'] = { 'boxes-scores': named.mismatch };
  const fits: DetectorChoice[] = [];
  for (const name of DETECTORS.filter((d) => d !== 'boxes-scores')) {
    const b = (HEAD_DECODERS[name] as HeadDecoder).bind(outputs, ctx, true);
    if (isMismatch(b)) reasons[name] = b.mismatch;
    else fits.push({ detector: name, ...b, guessed: true });
  }
  return fits.length === 1 ? fits[0]! : { candidates: fits.map((f) => f.detector), reasons };
}

export const isDetectorChoice = (c: DetectorChoice | NoDetector): c is DetectorChoice => 'detector' in c;

/** A batched output as engines return it. */
export interface BatchTensor {
  data: NumericData;
  dims: readonly number[];
}

/** Candidates (before NMS) of image `n` of a batch, corners in model-input pixels. */
export function decodeHead(choice: DetectorChoice, tensors: Readonly<Record<string, BatchTensor>>, n: number, ctx: HeadContext, scoreThreshold: number): Detection[] {
  const images = choice.outputs.map((name) => {
    const t = tensors[name];
    if (!t) throw new InternalError(`output ${name} missing from the engine's results`);
    const per = t.data.length / (t.dims[0] ?? 1);
    return { name, data: sliceView(t.data, n * per, (n + 1) * per), dims: t.dims.slice(1) };
  });
  const classes = ctx.classes ?? choice.classes;
  return (HEAD_DECODERS[choice.detector] as HeadDecoder).decode(images, { ...ctx, ...(classes !== undefined ? { classes } : {}) }, scoreThreshold);
}

export type { HeadContext, OutputShape } from './types.js';
