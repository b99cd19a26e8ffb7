/**
 * Detection agreement with fp32: the fp32 detections (after NMS) are the "truth", the test
 * variant's are the predictions. Greedy matching: test boxes in descending score, each takes
 * the unmatched fp32 box of the same label with the highest IoU, if that IoU ≥ the threshold.
 * Counts are pooled over images → precision, recall, F1. When fp32 detects nothing in any
 * image, F1 has nothing to measure: it is undefined (value null, with the reason), never 1.
 */
import { InternalError } from '../../core/errors.js';
import { checked } from '../../../reports/verdict.js';
import { iou, type Detection } from './boxes.js';
import type { MatchCounts, DetectionMatchResult } from '../../../reports/metric-results.js';
export type { MatchCounts, DetectionMatchResult };

/** Detections agree with fp32 when they overlap by IoU ≥ 0.5. */
export const MATCH_IOU = 0.5;

/** Greedy matching of `predicted` to `reference` at `iouThreshold`; `matches[i]` = reference index of predicted i or -1. */
export function greedyMatch(reference: readonly Detection[], predicted: readonly Detection[], iouThreshold = MATCH_IOU): MatchCounts & { matches: number[] } {
  const taken = new Array<boolean>(reference.length).fill(false);
  const matches = new Array<number>(predicted.length).fill(-1);
  const order = predicted.map((_, i) => i).sort((a, b) => predicted[b]!.score - predicted[a]!.score || a - b);
  for (const p of order) {
    let best = -1;
    let bestIou = iouThreshold;
    reference.forEach((r, j) => {
      if (taken[j] || r.label !== predicted[p]!.label) return;
      const o = iou(r, predicted[p]!);
      if (o >= bestIou && (best < 0 || o > bestIou)) [best, bestIou] = [j, o];
    });
    if (best >= 0) {
      taken[best] = true;
      matches[p] = best;
    }
  }
  const tp = matches.filter((m) => m >= 0).length;
  return { matches, truePositives: tp, falsePositives: predicted.length - tp, falseNegatives: reference.length - tp };
}

export function f1Score(c: MatchCounts): { precision: number; recall: number; f1: number } {
  const predicted = c.truePositives + c.falsePositives;
  const actual = c.truePositives + c.falseNegatives;
  const precision = predicted === 0 ? (actual === 0 ? 1 : 0) : c.truePositives / predicted;
  const recall = actual === 0 ? (predicted === 0 ? 1 : 0) : c.truePositives / actual;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

export interface DetectionMatchOptions {
  /** IoU for a match (default MATCH_IOU). */
  iouThreshold?: number;
  /** Pass when pooled F1 ≥ this. */
  minF1?: number;
}

export class DetectionMatchAccumulator {
  readonly #counts: MatchCounts = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
  readonly #perImage: number[] = [];

  constructor(readonly options: DetectionMatchOptions = {}) {}

  /** One image: fp32 detections and the test variant's (both after NMS, same coordinates). */
  add(reference: readonly Detection[], test: readonly Detection[]): void {
    const m = greedyMatch(reference, test, this.options.iouThreshold ?? MATCH_IOU);
    this.#counts.truePositives += m.truePositives;
    this.#counts.falsePositives += m.falsePositives;
    this.#counts.falseNegatives += m.falseNegatives;
    this.#perImage.push(f1Score(m).f1);
  }

  result(): DetectionMatchResult {
    if (this.#perImage.length === 0) throw new InternalError('detection F1 of no images');
    const s = f1Score(this.#counts);
    const reference = this.#counts.truePositives + this.#counts.falseNegatives;
    if (reference === 0) {
      return {
        metric: 'detection-f1', value: null, precision: s.precision, recall: s.recall, ...this.#counts,
        undefinedReason: `the reference detected nothing in ${this.#perImage.length} image(s)`,
        iouThreshold: this.options.iouThreshold ?? MATCH_IOU, perImage: [...this.#perImage],
        ...(this.options.minF1 === undefined ? {} : { threshold: this.options.minF1, verdict: 'fail' as const }),
      };
    }
    return {
      metric: 'detection-f1',
      value: s.f1,
      precision: s.precision,
      recall: s.recall,
      ...this.#counts,
      iouThreshold: this.options.iouThreshold ?? MATCH_IOU,
      perImage: [...this.#perImage],
      ...checked(s.f1, this.options.minF1, 'min'),
    };
  }
}

export const detectionMatch = (options: DetectionMatchOptions = {}): DetectionMatchAccumulator => new DetectionMatchAccumulator(options);
