import { Int8calError } from '../core/errors.js';
import type { HistogramMode } from '../core/native.js';

/** `calibrate --shard i/n`: the i-th of n parts (1-based). */
export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * Refuses what can't be sharded: TensorRT-mode histograms depend on the batch order (a merge
 * could not reproduce them), and a cache calibrates nothing.
 */
export function checkShardable(shard: ShardSpec | undefined, mode: HistogramMode, cache: string | undefined): void {
  if (!shard) return;
  if (mode !== 'exact') {
    throw new Int8calError('SHARD_NEEDS_EXACT', `--shard needs --histogram exact: "${mode}" histograms depend on the order of the batches, so shards could not be merged into the unsharded result`, {
      hint: 'drop --histogram trt, or calibrate in one process without --shard',
    });
  }
  if (cache !== undefined) throw new Int8calError('SHARD_WITH_CACHE', '--shard and --cache exclude each other: a cache calibrates no images', { hint: 'drop --shard' });
}

/**
 * The shard's images: whole batches of the sorted list, the n parts as equal as batches allow,
 * so the shards together feed exactly the batches one unsharded run feeds (a fixed-batch
 * model drops the same short last batch).
 */
export function shardImages(files: readonly string[], batchSize: number, shard: ShardSpec): string[] {
  const batches = Math.ceil(files.length / batchSize);
  if (shard.count > batches) {
    throw new Int8calError('TOO_MANY_SHARDS', `${files.length} images make ${batches} batch(es) of ${batchSize}: too few for ${shard.count} shards`, {
      hint: `use at most ${batches} shards, or a smaller --batch-size`,
    });
  }
  const start = (i: number): number => Math.min(files.length, Math.floor((i * batches) / shard.count) * batchSize);
  return files.slice(start(shard.index - 1), start(shard.index));
}
