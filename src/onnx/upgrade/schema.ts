/**
 * Where operator schemas of the default ONNX domain changed, up to opset 13 (from the ONNX
 * operator changelog), and which of those changes leave an existing node valid and with the
 * same meaning (new types, new optional attributes/inputs with defaults that keep the old
 * behaviour, negative axes allowed). A change not listed as compatible needs a converter.
 */

/** op → opset versions (> 1, ≤ 13) that introduced a new schema. */
export const SCHEMA_CHANGES: Readonly<Record<string, readonly number[]>> = {
  Abs: [6, 13], Add: [6, 7, 13], And: [7], ArgMax: [11, 12, 13], ArgMin: [11, 12, 13],
  AveragePool: [7, 10, 11], BatchNormalization: [6, 7, 9], Cast: [6, 9, 13], Ceil: [6, 13],
  Clip: [6, 11, 12, 13], Compress: [11], Concat: [4, 11, 13], Constant: [9, 11, 12, 13],
  Conv: [11], ConvTranspose: [11], DepthToSpace: [11, 13], DequantizeLinear: [13],
  Div: [6, 7, 13], Dropout: [6, 7, 10, 12, 13], Elu: [6], Equal: [7, 11, 13], Erf: [13],
  Exp: [6, 13], Expand: [13], Flatten: [9, 11, 13], Floor: [6, 13], GRU: [3, 7],
  Gather: [11, 13], GatherElements: [13], GatherND: [12, 13], Gemm: [6, 7, 9, 11, 13],
  GlobalLpPool: [2], Greater: [7, 9, 13], HardSigmoid: [6], Hardmax: [11, 13], Identity: [13],
  If: [11, 13], InstanceNormalization: [6], IsNaN: [13], LRN: [13], LSTM: [7], LeakyRelu: [6],
  Less: [7, 9, 13], Log: [6, 13], LogSoftmax: [11, 13], Loop: [11, 13], LpPool: [2, 11],
  MatMul: [9, 13], Max: [6, 8, 12, 13], MaxPool: [8, 10, 11, 12], MaxUnpool: [11],
  Mean: [6, 8, 13], MeanVarianceNormalization: [13], Min: [6, 8, 12, 13], Mod: [13],
  Mul: [6, 7, 13], Neg: [6, 13], NonMaxSuppression: [11], NonZero: [13], OneHot: [11],
  Or: [7], PRelu: [6, 7, 9], Pad: [2, 11, 13], Pow: [7, 12, 13], QuantizeLinear: [13],
  RNN: [7], Reciprocal: [6, 13], ReduceL1: [11, 13], ReduceL2: [11, 13],
  ReduceLogSum: [11, 13], ReduceLogSumExp: [11, 13], ReduceMax: [11, 12, 13],
  ReduceMean: [11, 13], ReduceMin: [11, 12, 13], ReduceProd: [11, 13], ReduceSum: [11, 13],
  ReduceSumSquare: [11, 13], Relu: [6, 13], Reshape: [5, 13], Resize: [11, 13], Scan: [9, 11],
  Scatter: [11], ScatterElements: [13], ScatterND: [13], Selu: [6], Shape: [13],
  Sigmoid: [6, 13], Sign: [13], Size: [13], Slice: [10, 11, 13], Softmax: [11, 13],
  SpaceToDepth: [13], Split: [2, 11, 13], Sqrt: [6, 13], Squeeze: [11, 13], Sub: [6, 7, 13],
  Sum: [6, 8, 13], Tanh: [6, 13], Tile: [6, 13], TopK: [10, 11], Transpose: [13],
  Unsqueeze: [11, 13], Upsample: [7, 9, 10], Xor: [7],
};

/** Changes after which an unchanged node keeps its meaning: `op@version`. */
const COMPATIBLE = new Set<string>([
  ...list('Abs Ceil Erf Exp Floor Identity IsNaN LRN Log Mod Neg NonZero Reciprocal Relu Sigmoid Sign Sqrt Tanh Tile Transpose Shape Size Reshape', 13),
  ...list('Add Sub Mul Div Cast Concat Constant DepthToSpace DequantizeLinear QuantizeLinear Equal Expand Flatten Gather GatherElements GatherND Gemm Greater Less If Loop MatMul Max Min Mean Sum MeanVarianceNormalization Pad Pow ScatterElements ScatterND SpaceToDepth Slice Clip', 13),
  ...list('ArgMax ArgMin ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare', 13),
  ...list('ArgMax ArgMin ReduceMax ReduceMin Clip Constant GatherND Max Min MaxPool Pow', 12),
  ...list('ArgMax ArgMin AveragePool Compress Concat Constant Conv ConvTranspose DepthToSpace Equal Flatten Gather Gemm Hardmax LogSoftmax Softmax If Loop LpPool MaxPool MaxUnpool NonMaxSuppression OneHot ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Scan Slice Split Squeeze Unsqueeze TopK', 11),
  ...list('AveragePool MaxPool', 10),
  ...list('Cast Constant Flatten Gemm Greater Less MatMul PRelu', 9),
  ...list('Max Min Mean Sum MaxPool', 8),
  ...list('AveragePool PRelu', 7),
]);

function list(ops: string, version: number): string[] {
  return ops.split(' ').map((op) => `${op}@${version}`);
}

/** Schema changes of `op` in (from, to], ascending. */
export function changesBetween(op: string, from: number, to: number): number[] {
  return (SCHEMA_CHANGES[op] ?? []).filter((v) => v > from && v <= to);
}

export function isCompatibleChange(op: string, version: number): boolean {
  return COMPATIBLE.has(`${op}@${version}`);
}
