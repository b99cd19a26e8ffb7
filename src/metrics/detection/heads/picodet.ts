/**
 * PP-PicoDet head (PaddleDetection export without NMS): per stride (8, 16, 32, 64…) a score map
 * [N, cells, classes] (sigmoid in the graph), then per stride a box map [N, cells, 4·(R+1)] of
 * DFL distributions: softmax over R+1 bins per side, expectation × stride = distance from the
 * cell centre ((col + 0.5)·stride, (row + 0.5)·stride) to the left, top, right, bottom edges.
 * All score maps come first, then all box maps, in stride order (as the package reads them).
 * Every class ≥ the threshold is a candidate, as in the package's per-class NMS.
 */
import type { NumericData } from '../../data.js';
import type { Detection } from '../boxes.js';
import { gridLevels, headShapeError, isStaticPerImage, shapeText, type GridLevel } from './grid.js';
import type { HeadDecoder, ImageTensor, OutputShape } from './types.js';

const strideOf = (level: number): number => 8 * 2 ** level;

function layoutProblem(outputs: readonly OutputShape[], input: { width: number; height: number }, strict: boolean): string | undefined {
  const k = outputs.length / 2;
  if (outputs.length < 2 || !Number.isInteger(k) || outputs.some((o) => o.dims.length !== 3)) return `${outputs.length} outputs are not pairs of rank-3 score and box maps`;
  const levels = gridLevels(input, Array.from({ length: k }, (_, i) => strideOf(i)));
  for (let i = 0; i < k; i++) {
    const [scores, boxes] = [outputs[i]!, outputs[k + i]!];
    const bins = boxes.dims[2];
    if (typeof bins === 'number' && bins % 4 !== 0) return `${boxes.name} ${shapeText(boxes.dims)}: ${bins} is not 4 sides × DFL bins`;
    if (!strict) continue;
    if (!isStaticPerImage(scores.dims) || !isStaticPerImage(boxes.dims)) return `${scores.name}/${boxes.name} have dynamic dims`;
    const cells = levels[i]!.columns * levels[i]!.rows;
    if (scores.dims[1] !== cells || boxes.dims[1] !== cells) return `${scores.name} ${shapeText(scores.dims)} / ${boxes.name} ${shapeText(boxes.dims)}: not the ${cells} cells of stride ${strideOf(i)}`;
  }
  return undefined;
}

/** Distance (in bins) from one side's DFL distribution: softmax expectation over `bins` values. */
function dflDistance(d: NumericData, offset: number, bins: number): number {
  let max = -Infinity;
  for (let b = 0; b < bins; b++) max = Math.max(max, d[offset + b]!);
  let sum = 0;
  let weighted = 0;
  for (let b = 0; b < bins; b++) {
    const e = Math.exp(d[offset + b]! - max);
    sum += e;
    weighted += e * b;
  }
  return weighted / sum;
}

function decodeLevel(scores: ImageTensor, boxes: ImageTensor, level: GridLevel, scoreThreshold: number, out: Detection[]): void {
  const cells = level.columns * level.rows;
  const [classes, width] = [scores.dims[1]!, boxes.dims[1]!];
  if (scores.dims[0] !== cells || boxes.dims[0] !== cells || width % 4 !== 0) {
    throw headShapeError('picodet', scores.name, scores.dims, `expected ${cells} cells (stride ${level.stride}) in ${scores.name} and ${boxes.name} ${shapeText(boxes.dims)}`);
  }
  const bins = width / 4;
  for (let a = 0; a < cells; a++) {
    let box: [number, number, number, number] | undefined;
    for (let c = 0; c < classes; c++) {
      const score = scores.data[a * classes + c]!;
      if (!(score >= scoreThreshold)) continue;
      if (!box) {
        const cx = ((a % level.columns) + 0.5) * level.stride;
        const cy = (Math.floor(a / level.columns) + 0.5) * level.stride;
        const side = (k: number): number => dflDistance(boxes.data, a * width + k * bins, bins) * level.stride;
        box = [cx - side(0), cy - side(1), cx + side(2), cy + side(3)];
      }
      out.push({ x1: box[0], y1: box[1], x2: box[2], y2: box[3], score, label: c });
    }
  }
}

export const picodet: HeadDecoder = {
  bind(outputs, ctx, strict) {
    const problem = layoutProblem(outputs, ctx.input, strict);
    if (problem) return { mismatch: problem };
    const k = outputs.length / 2;
    const classes = outputs[0]!.dims[2];
    return {
      outputs: outputs.map((o) => o.name),
      ...(typeof classes === 'number' ? { classes } : {}),
      reason: `${k} score maps ${outputs.slice(0, k).map((o) => shapeText(o.dims)).join(' ')} + ${k} DFL box maps, strides ${Array.from({ length: k }, (_, i) => strideOf(i)).join('/')} at ${ctx.input.width}×${ctx.input.height}`,
    };
  },
  decode(tensors, ctx, scoreThreshold) {
    const k = tensors.length / 2;
    const levels = gridLevels(ctx.input, Array.from({ length: k }, (_, i) => strideOf(i)));
    const out: Detection[] = [];
    levels.forEach((level, i) => decodeLevel(tensors[i]!, tensors[k + i]!, level, scoreThreshold, out));
    return out;
  },
};
