/**
 * Reading and writing initializer data. New tensors are always written as little-endian
 * `rawData`, so the same values encode to the same bytes (determinism).
 */
import { InternalError } from '../../core/errors.js';
import { DataType, elementTypeName, type TensorProto } from '../proto.js';

type Numeric = number | bigint;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function rawBytes(t: TensorProto): Uint8Array | undefined {
  const raw = t.rawData;
  return raw && raw.length > 0 ? raw : undefined;
}

/** Element count from dims (1 for a scalar). */
export function elementCount(t: TensorProto): number {
  return (t.dims ?? []).reduce<number>((p, d) => p * Number(d), 1);
}

/** A view of raw little-endian bytes, copied so alignment never matters. */
function view(raw: Uint8Array): DataView {
  const copy = raw.slice();
  return new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
}

/** Float values of a float32 / float16 / float64 / bfloat16 tensor, as float32. */
export function floatValues(t: TensorProto): Float32Array {
  const n = elementCount(t);
  const raw = rawBytes(t);
  const out = new Float32Array(n);
  switch (t.dataType) {
    case DataType.FLOAT:
      if (raw) { const v = view(raw); for (let i = 0; i < n; i++) out[i] = v.getFloat32(i * 4, true); }
      else out.set((t.floatData ?? []).slice(0, n));
      return out;
    case DataType.DOUBLE:
      if (raw) { const v = view(raw); for (let i = 0; i < n; i++) out[i] = v.getFloat64(i * 8, true); }
      else out.set((t.doubleData ?? []).slice(0, n));
      return out;
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      const bits = new Uint16Array(n);
      if (raw) { const v = view(raw); for (let i = 0; i < n; i++) bits[i] = v.getUint16(i * 2, true); }
      else (t.int32Data ?? []).slice(0, n).forEach((b, i) => (bits[i] = b));
      for (let i = 0; i < n; i++) out[i] = t.dataType === DataType.FLOAT16 ? float16ToFloat(bits[i]!) : bfloat16ToFloat(bits[i]!);
      return out;
    }
    default:
      throw new InternalError(`floatValues on a ${elementTypeName(t.dataType)} tensor ${t.name}`);
  }
}

/** Integer values of an int8..int64 / uint8..uint64 / bool tensor, as bigint. */
export function intValues(t: TensorProto): bigint[] {
  const n = elementCount(t);
  const raw = rawBytes(t);
  const out: bigint[] = [];
  const v = raw ? view(raw) : undefined;
  for (let i = 0; i < n; i++) {
    switch (t.dataType) {
      case DataType.INT64: out.push(v ? v.getBigInt64(i * 8, true) : BigInt(String(t.int64Data![i]))); break;
      case DataType.UINT64: out.push(v ? v.getBigUint64(i * 8, true) : BigInt(String(t.uint64Data![i]))); break;
      case DataType.INT32: out.push(BigInt(v ? v.getInt32(i * 4, true) : t.int32Data![i]!)); break;
      case DataType.UINT32: out.push(BigInt(v ? v.getUint32(i * 4, true) : Number(t.uint64Data![i]))); break;
      case DataType.INT16: out.push(BigInt(v ? v.getInt16(i * 2, true) : t.int32Data![i]!)); break;
      case DataType.UINT16: out.push(BigInt(v ? v.getUint16(i * 2, true) : t.int32Data![i]!)); break;
      case DataType.INT8: out.push(BigInt(v ? v.getInt8(i) : t.int32Data![i]!)); break;
      case DataType.UINT8: case DataType.BOOL: out.push(BigInt(v ? v.getUint8(i) : t.int32Data![i]!)); break;
      default: throw new InternalError(`intValues on a ${elementTypeName(t.dataType)} tensor ${t.name}`);
    }
  }
  return out;
}

/** Values of any numeric tensor as plain numbers (int64 beyond 2^53 loses precision). */
export function numberValues(t: TensorProto): number[] {
  const isFloat = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16].includes(t.dataType ?? 0);
  return isFloat ? [...floatValues(t)] : intValues(t).map(Number);
}

function tensor(name: string, dataType: number, dims: readonly number[], bytes: Uint8Array): TensorProto {
  return { name, dataType, dims: [...dims], rawData: bytes };
}

export function float32Tensor(name: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorProto {
  const data = Float32Array.from(values);
  return tensor(name, DataType.FLOAT, dims, toLittleEndian(new Uint8Array(data.buffer), 4));
}

export function int64Tensor(name: string, values: readonly Numeric[], dims: readonly number[] = [values.length]): TensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return tensor(name, DataType.INT64, dims, toLittleEndian(new Uint8Array(data.buffer), 8));
}

export function int32Tensor(name: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorProto {
  const data = Int32Array.from(values);
  return tensor(name, DataType.INT32, dims, toLittleEndian(new Uint8Array(data.buffer), 4));
}

export function int8Tensor(name: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorProto {
  const data = Int8Array.from(values);
  return tensor(name, DataType.INT8, dims, new Uint8Array(data.buffer));
}

export function uint8Tensor(name: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorProto {
  return tensor(name, DataType.UINT8, dims, Uint8Array.from(values));
}

/** float32 values stored as IEEE half precision (round to nearest even). */
export function float16Tensor(name: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorProto {
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) bits[i] = floatToFloat16(values[i]!);
  return tensor(name, DataType.FLOAT16, dims, toLittleEndian(new Uint8Array(bits.buffer), 2));
}

function toLittleEndian(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes);
  if (littleEndian) return out;
  for (let i = 0; i < out.length; i += width) out.subarray(i, i + width).reverse();
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE float32 → binary16 bits, round to nearest even, overflow → ±Inf, NaN kept. */
export function floatToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let result = mantissa >>> shift;
    if (rest > half || (rest === half && (result & 1))) result++;
    return sign | result;
  }
  const rest = mantissa & 0x1fff;
  let result = (e << 10) | (mantissa >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1))) result++;
  return sign | result;
}

export function float16ToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function bfloat16ToFloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}
