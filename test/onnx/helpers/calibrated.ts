/** A sample model prepared and calibrated (minmax on its own calibration photos), cached per process. */
import type { ModelProto } from '../../../src/onnx/proto.js';
import { imageFeeds } from './images.js';
import { minmaxAmax } from './minmax.js';
import { preparedModel } from './prepared.js';
import { modelPath, photos, type SampleModel } from './sample-models.js';

export interface Calibrated {
  fp32: ModelProto;
  amax: Map<string, number>;
  photos: string[];
}

const cache = new Map<string, Promise<Calibrated>>();

/** Calibration uses at most `limit` photos to keep the tests quick. */
export function calibrated(m: SampleModel, limit = 6): Promise<Calibrated> {
  const key = `${m.file}:${limit}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = (async () => {
      const fp32 = await preparedModel(modelPath(m));
      const files = await photos(m.calibration, limit);
      if (files.length === 0) throw new Error(`no calibration photos in ${m.calibration.join(', ')}`);
      return { fp32, amax: await minmaxAmax(fp32, await imageFeeds(files, m.input, m.spec)), photos: files };
    })();
    cache.set(key, entry);
  }
  return entry;
}
