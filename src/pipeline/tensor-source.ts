import type { Feeds } from '../core/tensor.js';
import type { BatchSource } from './calibrator.js';

/** An array to cut into batches along its first dimension. */
export interface SampleArray {
  type: string;
  shape: readonly number[];
  data: Feeds[string]['data'];
}

/**
 * Batches of samples from in-memory arrays (one per model input, e.g. read from a .npz):
 * batch k holds samples [k·B, (k+1)·B) of every array. With a fixed batch dimension a smaller
 * last batch can't be fed: it is dropped, with a warning.
 */
export class TensorBatchSource implements BatchSource {
  #next = 0;
  /** Samples fed in the current pass. */
  used = 0;

  constructor(
    private readonly arrays: ReadonlyMap<string, SampleArray>,
    private readonly batchSize: number,
    private readonly fixedBatch = false,
    private readonly onWarning?: (message: string) => void,
  ) {}

  get samples(): number {
    return Math.min(...[...this.arrays.values()].map((a) => a.shape[0]!));
  }

  async next(): Promise<Feeds | null> {
    const from = this.#next;
    const to = Math.min(from + this.batchSize, this.samples);
    if (from >= to) return null;
    if (this.fixedBatch && to - from < this.batchSize) {
      this.onWarning?.(`Dropped the last ${to - from} sample(s): the model's batch size is fixed at ${this.batchSize}`);
      this.#next = to;
      return null;
    }
    this.#next = to;
    this.used = to;
    const feeds: Feeds = {};
    for (const [name, a] of this.arrays) {
      const per = a.data.length / a.shape[0]!;
      feeds[name] = { type: a.type, data: a.data.subarray(from * per, to * per) as Feeds[string]['data'], dims: [to - from, ...a.shape.slice(1)] };
    }
    return feeds;
  }

  rewind(): void {
    this.#next = 0;
    this.used = 0;
  }
}
