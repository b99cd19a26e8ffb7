/**
 * The ONNX protobuf schema, from the `onnx-proto` package (protobufjs static code for
 * onnx.proto). Everything else imports the types from here, so swapping the package is a
 * one-file change.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export const DataType = onnxProto.onnx.TensorProto.DataType;
export const AttributeType = onnxProto.onnx.AttributeProto.AttributeType;

const typeNames: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
  14: 'complex64', 15: 'complex128', 16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz',
  19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4',
};

/** ONNX element type number → the name ONNX Runtime uses ("float32", "int8", …). */
export function elementTypeName(type: number | null | undefined): string {
  return typeNames[type ?? 0] ?? `unknown(${type ?? 0})`;
}

/** Bytes per element for fixed-size types (0 when unknown or sub-byte). */
export function elementSize(type: number | null | undefined): number {
  const sizes: Record<number, number> = {
    1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2,
    17: 1, 18: 1, 19: 1, 20: 1,
  };
  return sizes[type ?? 0] ?? 0;
}
