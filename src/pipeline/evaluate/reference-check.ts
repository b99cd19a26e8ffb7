import { Int8calError } from '../../core/errors.js';
import type { HostTensor } from '../../engines/engine.js';

/**
 * The fp32 reference must be finite: where fp32 itself is NaN/Inf, no variant can be scored
 * against it (a finite variant would get "−∞", a matching NaN "∞"). Non-finite reference
 * values are an error on the reference, naming the output, how many values and which images —
 * not a verdict on the variants.
 */
export class ReferenceCheck {
  readonly #bad = new Map<string, { values: number; images: Set<string> }>();

  /** One batch of reference outputs; `files` are the batch's images in order. */
  add(outputs: Record<string, HostTensor>, files: readonly string[]): void {
    for (const [name, tensor] of Object.entries(outputs)) {
      const data = tensor.data;
      if (!(data instanceof Float32Array || data instanceof Float64Array)) continue;
      const per = data.length / Math.max(1, files.length);
      for (let i = 0; i < data.length; i++) {
        if (Number.isFinite(data[i]!)) continue;
        const entry = this.#bad.get(name) ?? { values: 0, images: new Set<string>() };
        entry.values++;
        entry.images.add(files[Math.min(files.length - 1, Math.floor(i / per))]!);
        this.#bad.set(name, entry);
      }
    }
  }

  get failed(): boolean {
    return this.#bad.size > 0;
  }

  /** Throws REFERENCE_NON_FINITE when any reference output had NaN/Inf. */
  check(model: string, label: (sample: string) => string): void {
    if (!this.#bad.size) return;
    const parts = [...this.#bad].map(([name, b]) => {
      const images = [...b.images].map(label);
      return `output ${name} has ${b.values} NaN/Inf value(s) in ${images.length} image(s): ${images.slice(0, 5).join(', ')}${images.length > 5 ? ', …' : ''}`;
    });
    const [first] = this.#bad.keys();
    throw new Int8calError('REFERENCE_NON_FINITE', `The fp32 reference ${model} is not finite: ${parts.join('; ')}; no variant can be scored against it`, {
      file: model, tensor: first!, hint: 'fix the fp32 model or its preprocessing (see calibration.json NaN/Inf counts); variants are not judged against a broken reference',
    });
  }
}

/** Integer outputs (int64, int32, uint8…) as float64, so every metric can read them without a crash. */
export function numericOutputs(outputs: Record<string, HostTensor>): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(outputs)) {
    out[name] = t.data instanceof Float32Array || t.data instanceof Float64Array ? t : { ...t, data: Float64Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x)) };
  }
  return out;
}
