/** A tensor whose shape is known; `values` for small integer tensors and small constants. */
export interface KnownShape {
  dims: number[];
  values?: number[];
}

/** Constants and computed tensors with at most this many elements carry their values (shape arithmetic). */
export const MAX_VALUES = 64;

/** Thrown by a rule when the inputs' shapes are impossible for the op; becomes MODEL_SHAPE. */
export class ShapeMismatch extends Error {}

export const product = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);

/** A known shape, with values when they are few enough to keep. */
export function shaped(dims: number[], values?: number[]): KnownShape {
  return values && values.length <= MAX_VALUES && values.every(Number.isFinite) ? { dims, values } : { dims };
}

/** Numpy/ONNX multidirectional broadcasting. */
export function broadcast(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) throw new ShapeMismatch(`shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} do not broadcast`);
      d = v;
    }
    out.push(d);
  }
  return out;
}

/** A negative axis counted from the end. */
export const normalizeAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);
