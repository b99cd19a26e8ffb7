import type { Feeds, HostTensor } from '../engines/engine.js';
import type { TensorInfo } from '../onnx/graph.js';

/** Linear factor of the size-estimating probe: 1/16 of the pixels. */
export const PROBE_DOWNSCALE = 4;

/**
 * One image of `feeds` subsampled (nearest) by `factor` along the input's dynamic axes after
 * the batch axis (height and width of an image input), for estimating activation sizes at a
 * fraction of the memory; undefined when no such axis is dynamic or it would get too small.
 */
export function downscaledImage(feeds: Feeds, inputs: readonly TensorInfo[], factor = PROBE_DOWNSCALE): Feeds | undefined {
  const out: Feeds = {};
  let scaled = false;
  for (const info of inputs) {
    const t = feeds[info.name];
    if (!t || t.dims.length !== 4) return undefined;
    const axes = [1, 2, 3].filter((a) => typeof info.dims[a] !== 'number');
    if (axes.some((a) => t.dims[a]! < 32 * factor)) return undefined;
    scaled ||= axes.length > 0;
    out[info.name] = subsample(t, axes, factor);
  }
  return scaled ? out : undefined;
}

/** Area factor by which the downscaled probe's activations underestimate the full image's. */
export const probeAreaFactor = (inputs: readonly TensorInfo[], factor = PROBE_DOWNSCALE): number =>
  factor ** Math.max(...inputs.map((i) => [1, 2, 3].filter((a) => typeof i.dims[a] !== 'number').length));

function subsample(t: HostTensor, axes: number[], factor: number): HostTensor {
  const [, c, h, w] = t.dims as [number, number, number, number];
  const step = [1, axes.includes(1) ? factor : 1, axes.includes(2) ? factor : 1, axes.includes(3) ? factor : 1];
  const dims = [1, Math.floor(c / step[1]!), Math.floor(h / step[2]!), Math.floor(w / step[3]!)];
  const data = new Float32Array(dims[1]! * dims[2]! * dims[3]!);
  const src = t.data as Float32Array;
  let k = 0;
  for (let i = 0; i < dims[1]!; i++) {
    for (let y = 0; y < dims[2]!; y++) {
      const row = (i * step[1]! * h + y * step[2]!) * w;
      for (let x = 0; x < dims[3]!; x++) data[k++] = src[row + x * step[3]!]!;
    }
  }
  return { type: t.type, data, dims };
}
