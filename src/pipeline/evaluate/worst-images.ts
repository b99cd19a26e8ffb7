import { numericOutputs } from './reference-check.js';
import { readBatches } from '../../../datasets/images/index.js';
import type { Engine } from '../../engines/engine.js';
import { fromDecibels, imageAt, isImageLike, worstImages, type NumericData } from '../../metrics/index.js';
import type { RunManifest } from '../../run/schema.js';
import type { EvaluationData } from './data.js';
import { thumbnailPair } from './thumbnails.js';
import type { OutputMetrics, WorstImage } from '../../../reports/results-schema.js';

const PER_OUTPUT = 3;
const KEPT = 5;

/**
 * The images where a variant strays most from fp32 (lowest per-image PSNR over its outputs),
 * with thumbnails of both outputs for image-like ones — pictures, not only numbers. The few
 * images are decoded and run again, so evaluation never keeps outputs in memory.
 */
export async function worstImagesOf(outputs: readonly OutputMetrics[], files: readonly string[], data: Pick<EvaluationData, 'images' | 'label'>, run: RunManifest, reference: Engine, test: Engine): Promise<WorstImage[]> {
  // Integer outputs have no PSNR: their worst images are not ranked here.
  const picks = outputs.flatMap((o) => (o.psnr ? worstImages(o.psnr.perImage, PER_OUTPUT).map((i) => ({ o, psnr: o.psnr!, i })) : []))
    .sort((a, b) => fromDecibels(a.psnr.perImage[a.i]!) - fromDecibels(b.psnr.perImage[b.i]!))
    .slice(0, KEPT);
  const singleImage = reference.inputs.find((i) => i.name === run.input)?.dims[0];
  // Thumbnails decode the image again: not for tensor data.
  const preprocessing = data.images ? run.preprocessing : undefined;
  const canRerun = preprocessing !== undefined && (singleImage === 1 || typeof singleImage !== 'number');
  const worst: WorstImage[] = [];
  for (const { o, psnr, i } of picks) {
    const pd = o.pd?.perImage[i];
    const entry: WorstImage = { file: data.label(files[i]!), output: o.name, psnr: psnr.perImage[i]!, ...(pd != null ? { pd } : {}) };
    if (canRerun && isImageLike(o.dims)) {
      const batch = (await readBatches([files[i]!], preprocessing!, { batchSize: 1 }).next()).value;
      if (batch && 'data' in batch) {
        const feeds = { [run.input]: { type: 'float32', data: batch.data, dims: batch.dims } };
        const [r, t] = [numericOutputs(await reference.run(feeds, [o.name]))[o.name]!, numericOutputs(await test.run(feeds, [o.name]))[o.name]!];
        entry.thumbnails = await thumbnailPair(imageAt(r.data as NumericData, r.dims, 0), imageAt(t.data as NumericData, t.dims, 0));
      }
    }
    worst.push(entry);
  }
  return worst;
}
