import { readBatches, type FlatImage, type ImageBatch, type Preprocessing, type ReadBatchesOptions, type ReadSummary, type SkippedImage } from '../../datasets/images/index.js';
import type { Feeds } from '../core/tensor.js';
import type { BatchSource } from './calibrator.js';

/** Batches of images from files, fed to one model input; rewinds for another pass. */
export class ImageBatchSource implements BatchSource {
  #batches: AsyncGenerator<ImageBatch, ReadSummary | undefined> | undefined;
  /** Files fed in the current pass (skipped images excluded). */
  readonly used: string[] = [];
  /** Images of one flat colour among those fed, once per file (in the order first fed). */
  readonly #flat = new Map<string, FlatImage>();

  constructor(
    private readonly input: string,
    private readonly files: readonly string[],
    private readonly spec: Preprocessing,
    private readonly options: ReadBatchesOptions,
    /** The model's batch dimension is fixed: a smaller last batch can't be fed and is dropped. */
    private readonly fixedBatch = false,
    /** Collects images skipped as undecodable (skipBadImages), once per file. */
    private readonly skipped: SkippedImage[] = [],
  ) {}

  async next(): Promise<Feeds | null> {
    this.#batches ??= readBatches([...this.files], this.spec, this.options);
    const result = await this.#batches.next();
    // Images skipped after the last full batch are only in the reader's final summary.
    this.#noteSkipped(result.done ? result.value?.skipped ?? [] : result.value.skipped);
    if (result.done) return null;
    const batch = result.value;
    if (this.fixedBatch && batch.files.length < this.options.batchSize) {
      this.options.onWarning?.(`Dropped the last ${batch.files.length} image(s): the model's batch size is fixed at ${this.options.batchSize}`);
      return null;
    }
    this.used.push(...batch.files);
    for (const f of batch.flat) if (!this.#flat.has(f.file)) this.#flat.set(f.file, f);
    return { [this.input]: { type: 'float32', data: batch.data, dims: batch.dims } };
  }

  get flat(): FlatImage[] {
    return [...this.#flat.values()];
  }

  #noteSkipped(skipped: readonly SkippedImage[]): void {
    for (const s of skipped) if (!this.skipped.some((k) => k.file === s.file)) this.skipped.push(s);
  }

  rewind(): void {
    void this.#batches?.return(undefined);
    this.#batches = undefined;
    this.used.length = 0;
  }
}
