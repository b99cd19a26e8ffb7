/**
 * Bounded, deterministic fuzzing for test/faults: a seeded PRNG and byte/line mutators. Same
 * seed → same inputs, so a failure names the seed and iteration that reproduce it.
 */
import assert from 'node:assert/strict';
import { Int8calError, InternalError } from '../../src/core/errors.js';

/** mulberry32: a tiny, fast, seeded 32-bit PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** An integer in [0, n). */
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)]! };
}
export type Prng = ReturnType<typeof prng>;

/** Values that tend to break parsers: boundaries of signed/unsigned bytes, and zero. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0a, 0x0d, 0x3a, 0x20, 0x22, 0x7b, 0x7d];

/**
 * One random mutation of `input`: bit flips, byte sets, truncation, deletion, duplication,
 * insertion of random bytes, or a splice of another region over a range. `focus` limits the
 * position of point mutations to a region (e.g. a header), when given.
 */
export function mutateBytes(input: Uint8Array, r: Prng, focus?: { start: number; end: number }): Uint8Array {
  const at = (): number => (focus ? focus.start + r.int(Math.max(1, focus.end - focus.start)) : r.int(Math.max(1, input.length)));
  const out = Buffer.from(input);
  switch (r.int(8)) {
    case 0: { // a few bit flips
      for (let i = 1 + r.int(4); i > 0 && out.length; i--) out[at() % out.length]! ^= 1 << r.int(8);
      return out;
    }
    case 1: { // interesting bytes
      for (let i = 1 + r.int(4); i > 0 && out.length; i--) out[at() % out.length] = r.pick(INTERESTING);
      return out;
    }
    case 2: // truncation
      return out.subarray(0, r.int(out.length + 1));
    case 3: { // delete a range
      const start = at() % (out.length + 1);
      return Buffer.concat([out.subarray(0, start), out.subarray(start + 1 + r.int(64))]);
    }
    case 4: { // duplicate a range in place
      const start = at() % (out.length + 1);
      const piece = out.subarray(start, start + 1 + r.int(256));
      return Buffer.concat([out.subarray(0, start), piece, out.subarray(start)]);
    }
    case 5: { // insert random bytes
      const start = at() % (out.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + r.int(32) }, () => r.int(256)));
      return Buffer.concat([out.subarray(0, start), junk, out.subarray(start)]);
    }
    case 6: { // splice: copy another region over this one
      if (out.length < 2) return out;
      const from = r.int(out.length);
      const to = at() % out.length;
      out.copy(out, to, from, from + 1 + r.int(512));
      return out;
    }
    default: { // a 32-bit little-endian length-like field set to an extreme
      if (out.length < 4) return out;
      const pos = at() % (out.length - 3);
      out.writeUInt32LE(r.pick([0, 1, 0x7fffffff, 0xffffffff, 0x80000000, out.length, out.length + 1]), pos);
      return out;
    }
  }
}

/**
 * Runs `target` on `iterations` mutated inputs (several mutations stacked at random). Every
 * throw must be an Int8calError (never a TypeError, RangeError or InternalError); each call must
 * finish within `maxCallMs`. Returns how many inputs were accepted and how many were refused.
 */
export function fuzz<T>(options: {
  seed: number;
  iterations: number;
  make: (r: Prng) => T;
  target: (input: T) => void;
  maxCallMs?: number;
}): { accepted: number; refused: number; codes: Map<string, number> } {
  const r = prng(options.seed);
  const codes = new Map<string, number>();
  let accepted = 0;
  for (let i = 0; i < options.iterations; i++) {
    const input = options.make(r);
    const started = performance.now();
    try {
      options.target(input);
      accepted++;
    } catch (error) {
      const where = `seed ${options.seed}, iteration ${i}`;
      if (!(error instanceof Int8calError) || error instanceof InternalError) {
        assert.fail(`${where}: ${(error as Error)?.stack ?? String(error)}`);
      }
      assert.ok(error.subject.file, `${where}: the error names the file: ${error.message}`);
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
    }
    const ms = performance.now() - started;
    assert.ok(ms < (options.maxCallMs ?? 1000), `seed ${options.seed}, iteration ${i}: took ${ms.toFixed(0)} ms`);
  }
  return { accepted, refused: options.iterations - accepted, codes };
}
