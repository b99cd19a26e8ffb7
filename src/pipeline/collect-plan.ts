/** How collection fits a batch's activations into the memory budget. */
export interface CollectPlan {
  /** Tensor groups: one pass over the images per group. */
  groups: string[][];
  /** Images per engine run (the whole batch unless batches are chunked). */
  chunk: number;
}

/**
 * Activations one engine run should return when batches may be chunked. Bigger runs were
 * slower per image, not faster: PaddleOCR det at 640×640 (650 MiB per image), 20 images:
 * 1 image per run 9.5 s, 3 per run 16–19 s, the batch of 8 31.5 s (ONNX Runtime grows its
 * arena and copies every output out) — and peak memory grows with the run.
 */
const RUN_TARGET = 256 * 1024 ** 2;

/**
 * Plans collection from one image's activation bytes per tensor. When batches may be chunked
 * (dynamic batch dimension, batch-independent histograms), running fewer images at a time with
 * every tensor beats another full pass of inference per tensor group; tensors are only split
 * when one image's activations exceed the budget. Otherwise whole batches are kept.
 */
export function planCollection(names: readonly string[], bytesPerImage: readonly number[], options: { batch: number; budget: number; chunkable: boolean; transient?: number }): CollectPlan {
  const { batch, budget } = options;
  // A run's fetched outputs exist twice until it returns (ONNX Runtime's and their JavaScript
  // copies), on top of the intermediate tensors ONNX Runtime holds at once (`transient`, per image).
  const transient = options.transient ?? 0;
  if (!options.chunkable) return { groups: groupTensors(names, bytesPerImage.map((b) => b * batch), Math.max(budget - transient * batch, 0) / 2), chunk: batch };
  const perImage = bytesPerImage.reduce((sum, b) => sum + b, 0);
  const room = Math.max(budget - transient, 0) / 2;
  if (perImage > room) return { groups: groupTensors(names, bytesPerImage, room), chunk: 1 };
  const fit = Math.floor(Math.min(room / perImage, RUN_TARGET / perImage));
  if (fit < 1) return { groups: [[...names]], chunk: 1 };
  // Equal chunks: as few runs as `fit` allows, with the smallest peak.
  return { groups: [[...names]], chunk: Math.ceil(batch / Math.ceil(batch / Math.min(fit, batch))) };
}

/** Consecutive groups of tensors whose bytes stay within `budget` (a bigger tensor goes alone). */
export function groupTensors(names: readonly string[], sizes: readonly number[], budget: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  names.forEach((name, i) => {
    if (current.length && bytes + sizes[i]! > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += sizes[i]!;
  });
  if (current.length || groups.length === 0) groups.push(current);
  return groups;
}
