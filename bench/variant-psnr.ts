/**
 * PSNR of each variant against fp32 on a few evaluation photos, for bench/build-latency.ts:
 * the photos are read with int8cal's reader and the run's preprocessing, and scored with the
 * library's metric (src/metrics/psnr.ts: MSE pooled over the photos, peak = max |fp32| over them).
 */
import * as ort from 'onnxruntime-node';
import { listImages, readBatches, type Preprocessing } from '../datasets/images/index.js';
import { fromDecibels, PsnrAccumulator, type Decibels } from '../src/metrics/psnr.js';

export interface VariantPsnr {
  images: number;
  /** Pooled PSNR per output of the model, in the fp32 model's output order. */
  outputs: { output: string; db: Decibels }[];
  /** The lowest of them (the table's figure). */
  worst: Decibels;
}

/** `count` photos of a folder, evenly spread over its sorted listing (LFW is sorted by person). */
export async function evaluationPhotos(folder: string, count: number): Promise<string[]> {
  const all = await listImages(folder);
  if (all.length <= count) return all;
  return Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)]!);
}

/**
 * Runs fp32 and every test session on each photo (batch 1) and returns each test's PSNR vs
 * fp32. A test session's outputs are matched to fp32's by name, else by position (a peer's
 * model may rename nothing, but nothing promises it).
 */
export async function psnrVsFp32(reference: ort.InferenceSession, tests: ReadonlyMap<string, ort.InferenceSession>,
  files: readonly string[], spec: Preprocessing, input: string): Promise<Map<string, VariantPsnr>> {
  const outputs = reference.outputNames;
  const accumulators = new Map([...tests.keys()].map((name) => [name, outputs.map(() => new PsnrAccumulator())]));
  let images = 0;
  for await (const batch of readBatches(files, spec, { batchSize: 1 })) {
    const feeds = { [input]: new ort.Tensor('float32', batch.data, batch.dims) };
    const ref = await reference.run(feeds);
    for (const [name, session] of tests) {
      const out = await session.run(feeds);
      outputs.forEach((o, i) => {
        const test = out[o] ?? out[session.outputNames[i]!];
        if (!test) throw new Error(`variant ${name} has no output ${o}`);
        accumulators.get(name)![i]!.add(ref[o]!.data as Float32Array, test.data as Float32Array);
      });
    }
    images += batch.dims[0]!;
  }
  const result = new Map<string, VariantPsnr>();
  for (const [name, accs] of accumulators) {
    const per = accs.map((a, i) => ({ output: outputs[i]!, db: a.result().value }));
    const worst = per.reduce((w, p) => (fromDecibels(p.db) < fromDecibels(w.db) ? p : w)).db;
    result.set(name, { images, outputs: per, worst });
  }
  return result;
}

/** "38.2 dB", "∞" (identical to fp32), "−∞" (NaN/Inf where fp32 has numbers). */
export function formatDecibels(db: Decibels | undefined): string {
  if (db === undefined) return '—';
  if (db === 'inf') return '∞';
  if (db === '-inf') return '−∞';
  return `${db.toFixed(1)} dB`;
}
