/**
 * `histograms.bin`: every tensor's histogram from one calibration pass, so any calibrator can
 * be re-applied later without running the model again.
 *
 * Layout (little-endian):
 *   magic      8 bytes  "I8CHISTS"
 *   version    u32      HISTOGRAM_FILE_VERSION
 *   headerLen  u32      byte length of the JSON header
 *   header     UTF-8 JSON: { format, mode, linearBins, subBinBits, blobVersion,
 *                            tensors: [{ name, bytes, stats }] }   (tensor order preserved)
 *   blobs      the tensors' native serialized histograms, concatenated in header order
 *
 * Same histograms → byte-identical file (no timestamps, fixed key order). Reading validates
 * everything and names the file in every error.
 */
import { readFile } from 'node:fs/promises';
import { Int8calError, invalidParameter } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import {
  HISTOGRAM_MODES,
  Histogram,
  MAX_LINEAR_BINS,
  exactSubBinBits,
  histogramBlobVersion,
  type HistogramMode,
  type HistogramStats,
} from '../core/native.js';

export const HISTOGRAM_FILE_MAGIC = 'I8CHISTS';
export const HISTOGRAM_FILE_VERSION = 1;
const FORMAT_NAME = 'int8cal histograms';
const PREAMBLE_BYTES = 16;

/** The histograms of one calibration pass, in tensor order. */
export interface HistogramSet {
  readonly mode: HistogramMode;
  /** Linear bins the thresholds are computed on. */
  readonly linearBins: number;
  readonly tensors: ReadonlyMap<string, Histogram>;
}

export interface HistogramFileTensor {
  readonly name: string;
  /** Byte length of the tensor's native blob. */
  readonly bytes: number;
  readonly stats: HistogramStats;
}

/** The JSON header, as written. */
export interface HistogramFileHeader {
  readonly format: string;
  readonly mode: HistogramMode;
  readonly linearBins: number;
  readonly subBinBits: number;
  readonly blobVersion: number;
  readonly tensors: readonly HistogramFileTensor[];
}

const STAT_KEYS = ['count', 'nanCount', 'infCount', 'zeroCount', 'absmax', 'range'] as const;
/** Stats that files written before int8cal tracked signs lack (their blobs derive them). */
const SIGNED_KEYS = ['min', 'max'] as const;

function statsRecord(stats: HistogramStats): HistogramStats {
  // Fixed key order keeps the JSON byte-identical.
  return {
    mode: stats.mode,
    count: stats.count,
    nanCount: stats.nanCount,
    infCount: stats.infCount,
    zeroCount: stats.zeroCount,
    absmax: stats.absmax,
    min: stats.min,
    max: stats.max,
    range: stats.range,
  };
}

/** Encodes the set; every histogram must be of `set.mode` and idle (no pending accumulate). */
export function encodeHistogramFile(set: HistogramSet): Uint8Array {
  if (!HISTOGRAM_MODES.includes(set.mode)) throw invalidParameter('mode', 'one of "exact", "trt"', set.mode);
  if (!Number.isInteger(set.linearBins) || set.linearBins < 1 || set.linearBins > MAX_LINEAR_BINS) {
    throw invalidParameter('linearBins', `an integer between 1 and ${MAX_LINEAR_BINS}`, set.linearBins);
  }
  const blobs: Uint8Array[] = [];
  const tensors: HistogramFileTensor[] = [];
  for (const [name, histogram] of set.tensors) {
    if (!(histogram instanceof Histogram)) throw invalidParameter(`tensors.get(${JSON.stringify(name)})`, 'a Histogram', histogram);
    if (histogram.mode !== set.mode) {
      throw new Int8calError('HISTOGRAM_MODE_MISMATCH', `Histogram of tensor ${name} is "${histogram.mode}" but the set is "${set.mode}"`, {
        tensor: name,
      });
    }
    const blob = histogram.serialize();
    blobs.push(blob);
    tensors.push({ name, bytes: blob.length, stats: statsRecord(histogram.stats()) });
  }
  const header: HistogramFileHeader = {
    format: FORMAT_NAME,
    mode: set.mode,
    linearBins: set.linearBins,
    subBinBits: exactSubBinBits(),
    blobVersion: histogramBlobVersion(),
    tensors,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(PREAMBLE_BYTES + json.length + blobs.reduce((sum, b) => sum + b.length, 0));
  out.write(HISTOGRAM_FILE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(HISTOGRAM_FILE_VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, PREAMBLE_BYTES);
  let offset = PREAMBLE_BYTES + json.length;
  for (const blob of blobs) {
    out.set(blob, offset);
    offset += blob.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function corrupt(file: string, message: string, tensor?: string, cause?: unknown): Int8calError {
  return new Int8calError(
    'HISTOGRAM_FILE_CORRUPT',
    `${file} is not a valid histograms file: ${message}`,
    { file, ...(tensor !== undefined ? { tensor } : {}), hint: 'the file is damaged or truncated: run calibration again to rewrite it' },
    cause === undefined ? undefined : { cause },
  );
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isAmax = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function parseHeader(json: string, file: string): HistogramFileHeader {
  let header: unknown;
  try {
    header = JSON.parse(json);
  } catch (error) {
    throw corrupt(file, 'the header is not valid JSON', undefined, error);
  }
  const h = header as Partial<HistogramFileHeader> | null;
  if (typeof h !== 'object' || h === null || h.format !== FORMAT_NAME) throw corrupt(file, 'the header has no "format" of this tool');
  if (!HISTOGRAM_MODES.includes(h.mode as HistogramMode)) throw corrupt(file, `unknown mode ${JSON.stringify(h.mode)}`);
  if (!Number.isInteger(h.linearBins) || h.linearBins! < 1 || h.linearBins! > MAX_LINEAR_BINS) {
    throw corrupt(file, `bad linearBins ${JSON.stringify(h.linearBins)}`);
  }
  if (!isCount(h.subBinBits) || !isCount(h.blobVersion)) throw corrupt(file, 'bad subBinBits or blobVersion');
  if (!Array.isArray(h.tensors)) throw corrupt(file, 'the header lists no tensors');
  const names = new Set<string>();
  for (const [i, t] of h.tensors.entries()) {
    const entry = t as Partial<HistogramFileTensor> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string') throw corrupt(file, `tensor #${i} has no name`);
    if (names.has(entry.name)) throw corrupt(file, `tensor ${entry.name} is listed twice`, entry.name);
    names.add(entry.name);
    if (!isCount(entry.bytes)) throw corrupt(file, `tensor ${entry.name} has a bad byte length`, entry.name);
    const stats = entry.stats as Partial<HistogramStats> | undefined;
    if (typeof stats !== 'object' || stats === null || stats.mode !== h.mode) {
      throw corrupt(file, `tensor ${entry.name} has bad stats`, entry.name);
    }
    for (const key of STAT_KEYS) {
      const ok = key === 'absmax' || key === 'range' ? isAmax(stats[key]) : isCount(stats[key]);
      if (!ok) throw corrupt(file, `tensor ${entry.name} has a bad ${key}`, entry.name);
    }
    for (const key of SIGNED_KEYS) {
      if (stats[key] !== undefined && !(typeof stats[key] === 'number' && Number.isFinite(stats[key]))) {
        throw corrupt(file, `tensor ${entry.name} has a bad ${key}`, entry.name);
      }
    }
  }
  return h as HistogramFileHeader;
}

/** Decodes and validates a histograms file's bytes; `file` names it in errors. */
export function decodeHistogramFile(bytes: Uint8Array, file: string): HistogramSet {
  if (!(bytes instanceof Uint8Array)) throw invalidParameter('bytes', 'a Uint8Array', bytes);
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.length >= 8 && data.toString('latin1', 0, 8) !== HISTOGRAM_FILE_MAGIC) {
    throw new Int8calError('HISTOGRAM_FILE_CORRUPT', `${file} is not an int8cal histograms file (wrong magic bytes)`, {
      file,
      hint: 'pass the histograms.bin written by int8cal calibration',
    });
  }
  if (data.length < PREAMBLE_BYTES) throw corrupt(file, `truncated: ${data.length} bytes, shorter than the ${PREAMBLE_BYTES}-byte preamble`);
  const version = data.readUInt32LE(8);
  if (version > HISTOGRAM_FILE_VERSION) {
    throw new Int8calError(
      'HISTOGRAM_FILE_VERSION',
      `${file} was written by a newer int8cal (histograms format version ${version}; this int8cal reads up to ${HISTOGRAM_FILE_VERSION})`,
      { file, hint: 'upgrade int8cal, or run calibration again with this version' },
    );
  }
  if (version === 0) throw corrupt(file, 'format version 0 does not exist');
  const headerBytes = data.readUInt32LE(12);
  if (headerBytes > data.length - PREAMBLE_BYTES) throw corrupt(file, 'truncated inside the header');
  const header = parseHeader(data.toString('utf8', PREAMBLE_BYTES, PREAMBLE_BYTES + headerBytes), file);
  if (header.blobVersion > histogramBlobVersion()) {
    throw new Int8calError(
      'HISTOGRAM_FILE_VERSION',
      `${file} holds histograms of a newer int8cal (blob version ${header.blobVersion}; this int8cal reads up to ${histogramBlobVersion()})`,
      { file, hint: 'upgrade int8cal, or run calibration again with this version' },
    );
  }
  if (header.subBinBits !== exactSubBinBits()) throw corrupt(file, `unsupported sub-bin resolution ${header.subBinBits}`);
  const expected = header.tensors.reduce((sum, t) => sum + t.bytes, 0);
  const available = data.length - PREAMBLE_BYTES - headerBytes;
  if (available < expected) throw corrupt(file, `truncated: the tensors need ${expected} bytes, ${available} present`);
  if (available > expected) throw corrupt(file, `${available - expected} unexpected bytes after the last tensor`);

  const tensors = new Map<string, Histogram>();
  let offset = PREAMBLE_BYTES + headerBytes;
  for (const entry of header.tensors) {
    const blob = bytes.subarray(offset, offset + entry.bytes);
    offset += entry.bytes;
    let histogram: Histogram;
    try {
      histogram = Histogram.deserialize(blob);
    } catch (error) {
      throw corrupt(file, `tensor ${entry.name}: ${(error as Error).message}`, entry.name, error);
    }
    const actual = statsRecord(histogram.stats());
    const signedDiffer = SIGNED_KEYS.some((key) => entry.stats[key] !== undefined && actual[key] !== entry.stats[key]);
    if (STAT_KEYS.some((key) => actual[key] !== entry.stats[key]) || signedDiffer || actual.mode !== header.mode) {
      throw corrupt(file, `tensor ${entry.name}: its histogram does not match the stats in the header`, entry.name);
    }
    tensors.set(entry.name, histogram);
  }
  return { mode: header.mode, linearBins: header.linearBins, tensors };
}

/** Writes `histograms.bin` atomically (temp file + rename). */
export async function writeHistogramFile(path: string, set: HistogramSet): Promise<void> {
  await writeFileAtomic(path, encodeHistogramFile(set));
}

/** Reads and validates a histograms file. */
export async function readHistogramFile(path: string): Promise<HistogramSet> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Int8calError(
      missing ? 'HISTOGRAM_FILE_MISSING' : 'READ_FAILED',
      `Could not read ${path}: ${(error as Error).message}`,
      { file: path, hint: missing ? 'run calibration first: it writes histograms.bin into the run directory' : 'check the file permissions' },
      { cause: error },
    );
  }
  return decodeHistogramFile(bytes, path);
}
