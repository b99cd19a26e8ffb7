/** A name in the placement registry (placements/index.ts). */
export type Placement = string;

export interface BuildInt8Options {
  placement: Placement;
  /** Nodes kept in float: a node name, a /regex/ on node names, or an op type. */
  exclude?: readonly string[];
  /** One scale per weight tensor instead of one per output channel. */
  perTensorWeights?: boolean;
  /** ort-cpu weight range: 8 bits ([−127, 127], the default) or 7 ([−63, 63]). TensorRT: always 8. */
  ortWeightBits?: 7 | 8;
  /**
   * Observed signed range per activation. ort-cpu uses it to give signed tensors whose range is
   * lopsided an asymmetric uint8 grid (ONNX Runtime accepts any zero point); without it, signed
   * tensors get zero point 128. TensorRT needs symmetric int8 and ignores it.
   */
  ranges?: ReadonlyMap<string, SignedRange>;
}

/** Observed min ≤ 0 ≤ max of an activation. */
export interface SignedRange {
  min: number;
  max: number;
}

/** How an activation tensor is quantized: `q = clamp(round(x / scale) + zeroPoint)`. */
export interface ActivationParams {
  type: 'int8' | 'uint8';
  scale: number;
  zeroPoint: number;
}

/** A compute node left in float, and why. */
export interface FloatNode {
  node: string;
  opType: string;
  reason: string;
  /** True when the user's --exclude pattern kept it float. */
  excludedByUser: boolean;
  pattern?: string;
}

export interface QuantizedNode {
  node: string;
  opType: string;
  /** How its constant weight is stored, when it has one. */
  weights?: 'per-channel' | 'per-tensor';
}

/** Compute ops (Conv, ConvTranspose, Gemm, MatMul) a placement quantized, and each one left float. */
export interface BuildCoverage {
  quantized: number;
  quantizable: number;
  /** quantized / quantizable (1 when the model has no compute op). */
  fraction: number;
  float: { node: string; opType: string; reason: string }[];
}

/** Plain data for build.json: what was quantized, what was not and why. */
export interface BuildReport {
  placement: Placement;
  opset: number;
  /** Element type of quantized activations. */
  activationType: 'int8' | 'uint8';
  /** Deviations from plain symmetric int8 and other facts a reader must know. */
  notes: string[];
  coverage: BuildCoverage;
  quantized: QuantizedNode[];
  /** Nodes kept in float: excluded by the user, or not quantizable (reason given). */
  excluded: FloatNode[];
  /** Activation tensors a quantized op would need but that have no usable calibrated amax. */
  unscaled: { tensor: string; reason: string }[];
  counts: {
    nodes: number;
    quantizedNodes: number;
    excludedNodes: number;
    quantizedActivations: number;
    quantizedWeights: number;
    quantizeLinear: number;
    dequantizeLinear: number;
    /** ort-cpu: Mul/Div by a positive constant folded into a DequantizeLinear scale. */
    foldedScaleOps: number;
    /** ort-cpu: Conv → HardSigmoid rewritten as Conv(α·W, α·b + β) → Clip(0, 1). */
    foldedHardSigmoids: number;
    /** ort-cpu: Add of a constant before an unpadded Conv folded into the Conv's bias. */
    foldedAdds: number;
  };
}
