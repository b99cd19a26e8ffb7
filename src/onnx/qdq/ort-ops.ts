/**
 * Ops ONNX Runtime's CPU provider runs directly on uint8 data when Q/DQ surround them, which
 * needs equal quantization parameters on input and output. MaxPool is left out on purpose: its
 * uint8 kernel is a plain NCHW loop, about 8× slower than the float one on x86 (PaddleOCR cls:
 * 88 µs vs 11 µs), so it runs in float between a DequantizeLinear and a QuantizeLinear.
 */
export const ORT_QUANTIZED_DATA_OPS: ReadonlySet<string> = new Set([
  'Resize', 'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'GatherElements', 'Expand', 'Tile',
]);
