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
 * Part of the budget kept for what the process holds besides activations (Node, ONNX Runtime and
 * its session, the model, the histograms: 250–380 MiB on the 1024x1024 segmentation model), so
 * the process's peak, not only its activations, stays near --max-activation-memory. At most an
 * eighth of the budget, so small budgets still plan as before.
 */
const PROCESS_RESERVE = 256 * 1024 ** 2;

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
  const reserve = Math.min(PROCESS_RESERVE, budget / 8);
  if (!options.chunkable) return { groups: groupTensors(names, bytesPerImage.map((b) => b * batch), Math.max(budget - reserve - transient * batch, 0) / 2), chunk: batch };
  const perImage = bytesPerImage.reduce((sum, b) => sum + b, 0);
  const room = Math.max(budget - reserve - transient, 0) / 2;
  if (perImage > room) return { groups: groupTensors(names, bytesPerImage, room), chunk: 1 };
  const fit = Math.floor(Math.min(room / perImage, RUN_TARGET / perImage));
  if (fit < 1) return { groups: [[...names]], chunk: 1 };
  // Equal chunks: as few runs as `fit` allows, with the smallest peak.
  return { groups: [[...names]], chunk: Math.ceil(batch / Math.ceil(batch / Math.min(fit, batch))) };
}

/**
 * Consecutive groups of tensors whose bytes stay within `budget` (a bigger tensor goes alone),
 * as few as filling each up to `budget` gives, but balanced: the biggest group is as small as
 * that many groups allow. A run holds its group twice at its end, so the peak follows the
 * biggest group (1024x1024 segmentation: 883, 888, 695 MiB filled up, 3 × ≤ 823 balanced).
 */
export function groupTensors(names: readonly string[], sizes: readonly number[], budget: number): string[][] {
  const count = fillGroups(names, sizes, budget).length;
  // The smallest cap that still needs no more groups: binary search between the biggest tensor and `budget`.
  let low = Math.max(0, ...sizes);
  let high = Math.max(budget, low);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (fillGroups(names, sizes, mid).length <= count) high = mid;
    else low = mid;
  }
  const balanced = fillGroups(names, sizes, low);
  return balanced.length <= count ? balanced : fillGroups(names, sizes, high);
}

/** Consecutive groups, each filled up to `budget` (a bigger tensor goes alone). */
function fillGroups(names: readonly string[], sizes: readonly number[], budget: number): string[][] {
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
