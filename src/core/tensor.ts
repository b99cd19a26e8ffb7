/** A tensor in host memory: plain data, as engines take and return it. */
export interface HostTensor {
  /** Element type name, e.g. "float32", "int64". */
  type: string;
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | Uint16Array;
  dims: readonly number[];
}

export type Feeds = Record<string, HostTensor>;
