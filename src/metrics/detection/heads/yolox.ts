/**
 * YOLOX head as YOLOX exports it (decode_in_inference off): [N, cells, 5 + classes], one row
 * per cell of strides 8/16/32, rows in level order then row-major; cx, cy are offsets from the
 * cell (pixels = (offset + cell) · stride), w, h are logs (pixels = exp(v) · stride), objectness
 * and classes already sigmoid. A YOLOX exported with decoding inside is a yolov5-style head.
 */
import { classColumns, headShapeError, stridesFor, type GridLevel } from './grid.js';
import { bindSingleTensor, stridesAt } from './single-tensor.js';
import { decodeObjectnessRows } from './objectness-rows.js';
import type { HeadDecoder } from './types.js';

/** Per row: its cell's column, row and stride. */
function cellsOf(levels: readonly GridLevel[]): { x: Int32Array; y: Int32Array; stride: Int32Array } {
  const total = levels.reduce((n, l) => n + l.columns * l.rows, 0);
  const x = new Int32Array(total);
  const y = new Int32Array(total);
  const stride = new Int32Array(total);
  let k = 0;
  for (const l of levels) {
    for (let r = 0; r < l.rows; r++) {
      for (let c = 0; c < l.columns; c++, k++) [x[k], y[k], stride[k]] = [c, r, l.stride];
    }
  }
  return { x, y, stride };
}

export const yolox: HeadDecoder = {
  bind: (outputs, ctx, strict) => bindSingleTensor({
    detector: 'yolox', layout: '[N, cells, 5 + classes]', cellsDim: 1, cellsWord: 'rows', valuesWord: 'columns', fixed: 5,
    explain: (levels, classes, ctx) => `one row per cell of ${stridesAt(levels, ctx)}, 5 + ${classes} columns (YOLOX raw grid head; if the graph decodes boxes itself, pass --detector yolov5)`,
    readAs: 'a YOLOX grid head',
  }, outputs, ctx, strict),
  decode([head], ctx, scoreThreshold) {
    const [rows, columns] = head!.dims as [number, number];
    const levels = head!.dims.length === 2 ? stridesFor(rows, ctx.input) : undefined;
    if (!levels || columns < 6) throw headShapeError('yolox', head!.name, head!.dims, `expected [cells, 5 + classes] per image, one row per cell of strides 8/16/32 at ${ctx.input.width}×${ctx.input.height}`);
    const classes = classColumns(columns, 5, ctx.classes, 'yolox', head!.name, head!.dims);
    const cells = cellsOf(levels);
    return decodeObjectnessRows(head!.data, rows, columns, classes, scoreThreshold, (d, a, o) => {
      const s = cells.stride[a]!;
      return { cx: (d[o]! + cells.x[a]!) * s, cy: (d[o + 1]! + cells.y[a]!) * s, w: Math.exp(d[o + 2]!) * s, h: Math.exp(d[o + 3]!) * s };
    });
  },
};
