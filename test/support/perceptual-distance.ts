/**
 * Test helper: PD of one image-like output of one variant, `add(ref, test)` per batch, through
 * the same FeatureNetwork and accumulator evaluate uses (it embeds the reference each time).
 */
import { InternalError } from '../../src/core/errors.js';
import type { HostTensor } from '../../src/core/tensor.js';
import { autoRange, imageAt, isImageLike, type ValueRange } from '../../src/metrics/image-output.js';
import { countNonFiniteMismatches, type NumericData } from '../../src/metrics/data.js';
import type { FeatureNetwork, PdAccumulator, PdResult } from '../../src/metrics/pd.js';

export interface PerceptualDistanceOptions {
  /** Value range of the outputs (default: judged from each reference image, see `autoRange`). */
  range?: ValueRange;
  channelOrder?: 'rgb' | 'bgr';
}

export class PerceptualDistance {
  readonly #acc: PdAccumulator;

  constructor(readonly network: FeatureNetwork, readonly options: PerceptualDistanceOptions = {}) {
    this.#acc = network.accumulator();
  }

  async add(ref: HostTensor, test: HostTensor): Promise<void> {
    if (!isImageLike(ref.dims)) throw new InternalError(`PD of a non-image output [${ref.dims.join(', ')}]`);
    if (ref.dims.join() !== test.dims.join()) throw new InternalError(`PD of outputs shaped [${ref.dims.join(', ')}] and [${test.dims.join(', ')}]`);
    for (let n = 0; n < ref.dims[0]!; n++) {
      const r = imageAt(ref.data as NumericData, ref.dims, n);
      const t = imageAt(test.data as NumericData, test.dims, n);
      if (countNonFiniteMismatches(r.data, t.data) > 0) {
        this.#acc.addBroken();
        continue;
      }
      const range = this.options.range ?? autoRange(r.data);
      const er = await this.network.embed(r, range, this.options.channelOrder);
      const et = await this.network.embed(t, range, this.options.channelOrder);
      this.#acc.add(er, et);
    }
  }

  result(): PdResult {
    return this.#acc.result();
  }
}
