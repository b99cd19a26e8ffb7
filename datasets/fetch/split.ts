import { sha256Bytes } from './hash.js';
import type { Split } from './manifest.js';

/**
 * Deterministic calibration/evaluation split: order the names by sha256(name) (a stable
 * shuffle that does not depend on listing order or content) and give the first
 * round(share · n) to calibration.
 */
export function splitByNameHash(names: readonly string[], calibrationShare = 0.6): Map<string, Split> {
  const ordered = [...new Set(names)].sort((a, b) => {
    const ha = sha256Bytes(a);
    const hb = sha256Bytes(b);
    return ha < hb ? -1 : ha > hb ? 1 : 0;
  });
  const calibrationCount = Math.round(ordered.length * calibrationShare);
  return new Map(ordered.map((name, index) => [name, index < calibrationCount ? 'calibration' : 'evaluation']));
}
