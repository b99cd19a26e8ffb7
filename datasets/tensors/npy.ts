/**
 * NumPy's .npy format (versions 1–3): a magic string, a Python-dict header with dtype, order and
 * shape, then the raw little-endian data. Only what a model input can take is read: C order,
 * little-endian (or single-byte) numeric and bool dtypes.
 */
import { Int8calError } from '../../src/core/errors.js';

/** NumPy dtype code (without byte order) → element type name as ONNX Runtime uses it. */
export const NPY_DTYPES = {
  f4: 'float32', f8: 'float64', f2: 'float16', i8: 'int64', i4: 'int32', i1: 'int8', u1: 'uint8', b1: 'bool',
} as const;
type NpyCode = keyof typeof NPY_DTYPES;

export type NumericArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | Uint16Array;

/** One array: the element type (ONNX Runtime's name), shape and data. */
export interface NumpyArray {
  /** "float32", "int64", … */
  type: string;
  /** NumPy's own dtype string, e.g. "<f8", for messages. */
  dtype: string;
  shape: number[];
  data: NumericArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses one .npy file's bytes; `where` names it in errors (a file, or "FILE.npz member x.npy"). */
export function parseNpy(bytes: Uint8Array, where: string): NumpyArray {
  const fail = (reason: string, hint?: string): Int8calError =>
    new Int8calError('TENSOR_FILE', `${where} is not a readable .npy array: ${reason}`, { file: where, hint: hint ?? 'write it with numpy.save / numpy.savez' });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('no \\x93NUMPY magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major < 1 || major > 3) throw fail(`format version ${major} is unknown`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw fail('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw fail(`header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  if (fortran === 'True') throw fail('it is in Fortran order', 'save a C-ordered array: numpy.ascontiguousarray(a)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw fail(`bad shape (${shapeText})`);
  const order = descr[0];
  const code = descr.slice(1) as NpyCode;
  const type = NPY_DTYPES[code];
  if (!type || (order === '>' && !code.endsWith('1')) || !'<|=>'.includes(order ?? '')) {
    throw fail(`dtype ${descr} is not supported (little-endian ${Object.keys(NPY_DTYPES).join(', ')} are)`, 'convert it, e.g. a.astype(numpy.float32)');
  }
  const count = shape.reduce((p, d) => p * d, 1);
  const width = Number(code.slice(1));
  const offset = start + headerLength;
  if (bytes.length - offset < count * width) throw fail(`truncated data: ${bytes.length - offset} bytes for ${count} values of ${width} bytes`);
  // A copy: the data offset is not always aligned for typed arrays.
  const raw = new Uint8Array(count * width);
  raw.set(bytes.subarray(offset, offset + count * width)); // (Buffer.slice would share, not copy)
  return { type, dtype: descr, shape, data: typedArray(type, raw.buffer) };
}

function typedArray(type: string, buffer: ArrayBuffer): NumericArray {
  switch (type) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'float16': return new Uint16Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int8': return new Int8Array(buffer);
    default: return new Uint8Array(buffer); // uint8, bool
  }
}
