import { Int8calError } from '../src/core/errors.js';

/**
 * TensorRT calibration cache codec. First line `TRT-<version>-<Algorithm>`, then one
 * `name: hex` line per tensor, hex being the big-endian IEEE-754 bits of the float32 scale.
 * Readers to stay compatible with: TensorRT, ModelOpt (`struct.unpack("!f", bytes.fromhex(h))`
 * — hence 8 digits when we write) and ORT's TensorRT EP (first line must contain `TRT-`).
 */
export interface CalibrationCache {
  /** e.g. 101601 for TensorRT 10.16.1, 8601 for 8.6.1. */
  trtVersion: number;
  /** e.g. "EntropyCalibration2". */
  algorithm: string;
  /** Tensor name → scale (amax / 127), in file order. */
  scales: Map<string, number>;
}

const HEADER = /^TRT-(\d+)-([A-Za-z0-9_]+)$/;
const HEX = /^[0-9a-fA-F]{1,8}$/;

/** The algorithm of a cache header must be letters, digits or _ (checked before any work, and when writing). */
export function checkCacheAlgorithm(algorithm: string): void {
  if (!/^[A-Za-z0-9_]+$/.test(algorithm)) {
    throw new Int8calError('CACHE_HEADER', `Cache algorithm "${algorithm}" must be letters, digits or _`, {
      hint: 'use e.g. --cache-header EntropyCalibration2',
    });
  }
}

export function formatCache(cache: CalibrationCache): string {
  checkCacheAlgorithm(cache.algorithm);
  const lines = [`TRT-${cache.trtVersion}-${cache.algorithm}`];
  for (const [name, scale] of cache.scales) {
    if (/[\r\n]/.test(name)) {
      throw new Int8calError('CACHE_TENSOR_NAME', 'A tensor name contains a line break: it cannot be written to a TensorRT cache', { tensor: name });
    }
    lines.push(`${name}: ${scaleToHex(scale)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses a cache; `file` names the source in errors, which carry the line number. */
export function parseCache(text: string, file = '<cache>'): CalibrationCache {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trimEnd());
  const fail = (lineNumber: number, why: string) =>
    new Int8calError('CACHE_PARSE', `${file}:${lineNumber}: ${why}`, {
      file,
      hint: 'a TensorRT calibration cache starts with TRT-<version>-<Algorithm>, then "tensor: hexscale" lines',
    });
  const header = HEADER.exec(lines[0]?.trim() ?? '');
  if (!header) throw fail(1, `expected a header like TRT-101601-EntropyCalibration2, found ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  const scales = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const split = line.lastIndexOf(': ');
    if (split <= 0) throw fail(i + 1, `expected "tensor: hexscale", found ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, split);
    const hex = line.slice(split + 2).trim();
    if (!HEX.test(hex)) throw fail(i + 1, `scale of ${name} is not 1–8 hex digits: ${JSON.stringify(hex.slice(0, 20))}`);
    if (scales.has(name)) throw fail(i + 1, `tensor ${name} appears twice`);
    scales.set(name, hexToScale(hex));
  }
  return { trtVersion: Number(header[1]), algorithm: header[2]!, scales };
}

/** Big-endian float32 bits, 8 lowercase hex digits: 1/127 → "3c010204". */
export function scaleToHex(scale: number): string {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, scale);
  return view.getUint32(0).toString(16).padStart(8, '0');
}

export function hexToScale(hex: string): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, parseInt(hex, 16));
  return view.getFloat32(0);
}
