/** Feature-map grids of strided detector heads (YOLO family, PicoDet). */
import { Int8calError } from '../../../core/errors.js';
import type { OutputShape } from './types.js';

/** The strides YOLO-family heads use: P3–P5, and P3–P6 for the "6" models. */
export const STRIDE_SETS: readonly (readonly number[])[] = [[8, 16, 32], [8, 16, 32, 64]];

export interface GridLevel {
  stride: number;
  /** Cells across and down: ceil(input / stride). */
  columns: number;
  rows: number;
}

export function gridLevels(input: { width: number; height: number }, strides: readonly number[]): GridLevel[] {
  return strides.map((stride) => ({ stride, columns: Math.ceil(input.width / stride), rows: Math.ceil(input.height / stride) }));
}

export const cellCount = (levels: readonly GridLevel[]): number => levels.reduce((n, l) => n + l.columns * l.rows, 0);

/** The stride set whose cells (× `perCell` anchors) number exactly `rows`, or undefined. */
export function stridesFor(rows: number, input: { width: number; height: number }, perCell = 1): GridLevel[] | undefined {
  for (const strides of STRIDE_SETS) {
    const levels = gridLevels(input, strides);
    if (cellCount(levels) * perCell === rows) return levels;
  }
  return undefined;
}

export const describeStrides = (levels: readonly GridLevel[]): string => levels.map((l) => l.stride).join('/');
export const shapeText = (dims: readonly unknown[]): string => `[${dims.map((d) => (typeof d === 'number' ? d : String(d ?? '?'))).join(', ')}]`;
export const isStatic = (dims: readonly unknown[]): dims is number[] => dims.every((d) => typeof d === 'number' && d > 0);

/** Every dim but the batch one (a dynamic batch says nothing about the head's layout). */
export const isStaticPerImage = (dims: readonly unknown[]): boolean => isStatic(dims.slice(1));

/** The rank-3 outputs ([N, a, b]) — where single-tensor YOLO heads live. */
export const rank3 = (outputs: readonly OutputShape[]): OutputShape[] => outputs.filter((o) => o.dims.length === 3);

/** A head whose real dims don't fit its grid: the user picked the wrong --detector (or --size). */
export function headShapeError(detector: string, output: string, dims: readonly number[], expected: string): Int8calError {
  return new Int8calError('DETECTOR_SHAPE', `Output ${output} ${shapeText(dims)} is not a ${detector} head: ${expected}`, {
    tensor: output, hint: 'pick the head with --detector, check --size (the grid follows the input size), or pass --task none',
  });
}

/** The class count of a head with `fixed` non-class columns: `--classes` or all the rest. */
export function classColumns(columns: number, fixed: number, classes: number | undefined, detector: string, output: string, dims: readonly number[]): number {
  const c = classes ?? columns - fixed;
  if (c < 1 || c > columns - fixed) throw headShapeError(detector, output, dims, `${columns} columns leave no room for ${fixed} box columns and ${c} classes`);
  return c;
}
