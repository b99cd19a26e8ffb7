/**
 * Binding of the heads that put everything in one rank-3 output (YOLOv5, YOLOv8, YOLOX): the
 * output is the only rank-3 one, wide enough for its fixed columns plus a class, and — when
 * auto-detecting — static with one entry (or one per anchor) per cell of strides 8/16/32(/64).
 */
import { describeStrides, isStaticPerImage, rank3, shapeText, stridesFor, type GridLevel } from './grid.js';
import type { HeadBinding, HeadContext, HeadMismatch, OutputShape } from './types.js';

export interface SingleTensorLayout {
  /** `--detector` name. */
  detector: string;
  /** e.g. "[N, boxes, 5 + classes]". */
  layout: string;
  /** The dimension (1 or 2) that runs over cells; the other holds each cell's values. */
  cellsDim: 1 | 2;
  /** What the two dims are called in messages, e.g. rows / columns. */
  cellsWord: string;
  valuesWord: string;
  /** Values before the class scores (box, objectness). */
  fixed: number;
  anchorsPerCell?: number;
  /** The auto-detected binding's reason, after "<name> <shape>: ". */
  explain(levels: readonly GridLevel[], classes: number, ctx: HeadContext): string;
  /** The reason when the user named the detector. */
  readAs: string;
}

export function bindSingleTensor(l: SingleTensorLayout, outputs: readonly OutputShape[], ctx: HeadContext, strict: boolean): HeadBinding | HeadMismatch {
  const candidates = rank3(outputs);
  const head = candidates[0];
  if (!head) return { mismatch: `no ${l.layout} output` };
  const cells = head.dims[l.cellsDim];
  const values = head.dims[3 - l.cellsDim];
  const shape = `${head.name} ${shapeText(head.dims)}`;
  if (typeof values === 'number' && values < l.fixed + 1) return { mismatch: `${shape} has fewer than ${l.fixed + 1} ${l.valuesWord}` };
  if (!strict) return { outputs: [head.name], ...(ctx.classes !== undefined ? { classes: ctx.classes } : {}), reason: `${shape} read as ${l.readAs} (--detector ${l.detector})` };
  if (!isStaticPerImage(head.dims) || candidates.length !== 1) return { mismatch: `${shape} is not the only static rank-3 output` };
  const levels = stridesFor(cells as number, ctx.input, l.anchorsPerCell);
  const perCell = l.anchorsPerCell ? `${l.anchorsPerCell} anchors per cell` : 'one per cell';
  if (!levels) return { mismatch: `${shape}: ${cells} ${l.cellsWord} are not ${perCell} of strides 8/16/32(/64)` };
  const classes = ctx.classes ?? (values as number) - l.fixed;
  return { outputs: [head.name], classes, reason: `${shape}: ${l.explain(levels, (values as number) - l.fixed, ctx)}` };
}

/** "strides 8/16/32 at 640×640". */
export const stridesAt = (levels: readonly GridLevel[], ctx: HeadContext): string => `strides ${describeStrides(levels)} at ${ctx.input.width}×${ctx.input.height}`;
