/**
 * Parsing and validation of preprocessing option values. Values arrive as strings from the
 * command line and as numbers/arrays from config files; both are accepted. Every failure is a
 * sharp-style `invalidParameter` error naming the option, what was expected and what was given.
 */
import { invalidParameter } from '../../src/core/errors.js';

export interface Size {
  width: number;
  height: number;
}

/** Three per-channel numbers (R, G, B order; a 1-channel image uses the first). */
export type Triple = [number, number, number];

const SIZE_PATTERN = /^\s*(\d+)\s*(?:[x×*,]\s*(\d+))?\s*$/i;

/** "640x480" (width x height) or "640" (square); also accepts `{ width, height }`. */
export function parseSize(value: unknown, name = 'size'): Size {
  const expected = 'a size WxH in positive integers, e.g. 640x480';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { width, height } = value as Partial<Size>;
    if (isPositiveInteger(width) && isPositiveInteger(height)) return { width, height };
    throw invalidParameter(name, expected, JSON.stringify(value));
  }
  if (isPositiveInteger(value)) return { width: value, height: value };
  const match = typeof value === 'string' ? SIZE_PATTERN.exec(value) : null;
  if (!match) throw invalidParameter(name, expected, value);
  const width = Number(match[1]);
  const height = match[2] === undefined ? width : Number(match[2]);
  if (!isPositiveInteger(width) || !isPositiveInteger(height)) {
    throw invalidParameter(name, expected, value);
  }
  return { width, height };
}

/**
 * One or three numbers, e.g. "0.485,0.456,0.406", "127.5", [0.5] or 0.5; one number is used
 * for all three channels.
 */
export function parseTriple(value: unknown, name: string, options: { nonZero?: boolean } = {}): Triple {
  const expected = `one or three ${options.nonZero ? 'non-zero ' : ''}numbers, e.g. 0.485,0.456,0.406`;
  let items: unknown[];
  if (typeof value === 'number') items = [value];
  else if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') items = value.trim() === '' ? [] : value.trim().split(/\s*[,\s]\s*/);
  else throw invalidParameter(name, expected, value);
  const numbers = items.map((item) => (typeof item === 'string' ? parseNumberText(item) : item));
  const ok =
    (numbers.length === 1 || numbers.length === 3) &&
    numbers.every((n) => isFiniteNumber(n) && (!options.nonZero || n !== 0));
  if (!ok) throw invalidParameter(name, expected, Array.isArray(value) ? `[${value.join(', ')}]` : value);
  const [a, b = a, c = a] = numbers as number[];
  return [a, b, c];
}

/** A finite number, also written as a fraction: 0.5, "0.5", "1/255". */
export function parseNumber(
  value: unknown,
  name: string,
  range: { min?: number; max?: number; positive?: boolean } = {},
): number {
  const n = typeof value === 'string' ? parseNumberText(value) : value;
  const ok =
    isFiniteNumber(n) &&
    (range.positive !== true || n > 0) &&
    (range.min === undefined || n >= range.min) &&
    (range.max === undefined || n <= range.max);
  if (!ok) throw invalidParameter(name, describeRange(range), value);
  return n;
}

/** One of a fixed set of words, compared case-insensitively; returns the canonical spelling. */
export function parseChoice<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  if (typeof value === 'string') {
    const found = choices.find((choice) => choice.toLowerCase() === value.trim().toLowerCase());
    if (found !== undefined) return found;
  }
  throw invalidParameter(name, `one of ${choices.join(', ')}`, value);
}

function parseNumberText(text: string): number {
  const parts = text.trim().split('/');
  if (parts.length === 2) return strictNumber(parts[0]) / strictNumber(parts[1]);
  return parts.length === 1 ? strictNumber(parts[0]) : NaN;
}

/** Number() without its surprises: "" and whitespace are not 0. */
function strictNumber(text: string | undefined): number {
  return text === undefined || text.trim() === '' ? NaN : Number(text);
}

function describeRange(range: { min?: number; max?: number; positive?: boolean }): string {
  if (range.min !== undefined && range.max !== undefined) {
    return `a number between ${range.min} and ${range.max}`;
  }
  if (range.positive) return 'a positive number (a fraction such as 1/255 is allowed)';
  if (range.min !== undefined) return `a number of at least ${range.min}`;
  return 'a number';
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
