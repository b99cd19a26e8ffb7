/**
 * Infinity in JSON: PSNR is a `Decibels` value, a number or the string "inf" / "-inf".
 * JSON has no Infinity (JSON.stringify writes null, losing the meaning), so results keep the
 * string form everywhere and the type makes every consumer handle it; `fromDecibels` gives a
 * plain number for arithmetic and comparisons.
 */
export type Decibels = number | 'inf' | '-inf';

export function toDecibels(db: number): Decibels {
  if (Number.isNaN(db)) throw new Error('internal error: PSNR is NaN');
  return db === Infinity ? 'inf' : db === -Infinity ? '-inf' : db;
}

export function fromDecibels(db: Decibels): number {
  return db === 'inf' ? Infinity : db === '-inf' ? -Infinity : db;
}
