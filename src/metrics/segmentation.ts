/**
 * A segmentation model's class scores [N, C, H, W] (C ≥ 2) scored as its users read them: the
 * per-pixel arg-max label map against fp32's, as pixel agreement and mean IoU over the classes
 * either map has. PSNR of the scores misses a label that flips between two close scores.
 */
import { InternalError } from '../core/errors.js';
import type { NumericData } from './data.js';
import type { SegmentationResult } from '../../reports/metric-results.js';
import type { OutputMetric } from './output-metric.js';

export type { SegmentationResult };

/** Arg-max over the C planes of pixel `p` (NCHW: class c at p + c·plane); ties go to the lowest class. */
function labelAt(data: NumericData, p: number, classes: number, plane: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (data[p + c * plane]! > data[p + best * plane]!) best = c;
  return best;
}

export class SegmentationAccumulator {
  readonly #intersection: number[] = [];
  readonly #union: number[] = [];
  readonly #perImage: number[] = [];
  #equal = 0;
  #pixels = 0;

  constructor(readonly classes: number) {}

  /** `images` images of `classes` planes each, laid out one after another. */
  add(ref: NumericData, test: NumericData, images: number): void {
    const per = ref.length / images;
    const plane = per / this.classes;
    if (ref.length !== test.length || !Number.isInteger(plane)) throw new InternalError(`segmentation of ${ref.length} vs ${test.length} scores, ${images} images of ${this.classes} classes`);
    for (let n = 0; n < images; n++) {
      let same = 0;
      for (let p = n * per; p < n * per + plane; p++) {
        const r = labelAt(ref, p, this.classes, plane);
        const t = labelAt(test, p, this.classes, plane);
        this.#union[r] = (this.#union[r] ?? 0) + 1;
        if (r === t) {
          same++;
          this.#intersection[r] = (this.#intersection[r] ?? 0) + 1;
        } else this.#union[t] = (this.#union[t] ?? 0) + 1;
      }
      this.#perImage.push(plane === 0 ? 1 : same / plane);
      this.#equal += same;
      this.#pixels += plane;
    }
  }

  result(): SegmentationResult {
    if (this.#perImage.length === 0) throw new InternalError('segmentation of no images');
    const present = this.#union.flatMap((u, c) => (u > 0 ? [(this.#intersection[c] ?? 0) / u] : []));
    const miou = present.length ? present.reduce((a, b) => a + b, 0) / present.length : 1;
    return { metric: 'segmentation', value: this.#pixels ? this.#equal / this.#pixels : 1, miou, classes: present.length, pixels: this.#pixels, perImage: [...this.#perImage] };
  }
}

/** The label maps of a `--task segmentation` model's [N, C, H, W] scores. */
export const segmentationMetric: OutputMetric = {
  field: 'segmentation',
  applies: (o, ctx) => ctx.task === 'segmentation' && !o.integer && o.dims.length === 4 && o.dims[1]! >= 2,
  create: (o) => {
    const acc = new SegmentationAccumulator(o.dims[1]!);
    return { add: (b) => acc.add(b.reference.data as NumericData, b.test.data as NumericData, b.images), result: () => acc.result() };
  },
  gates: { 'pixel-agreement': (r: SegmentationResult) => r.value, miou: (r: SegmentationResult) => r.miou },
};
