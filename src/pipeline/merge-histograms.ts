import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createAmaxRule } from '../../calibrators/registry.js';
import { copyFileAtomic } from '../core/atomic.js';
import { Int8calError } from '../core/errors.js';
import { readHistogramFile, writeHistogramFile, type HistogramSet } from '../run/histogram-file.js';
import { defaultOf } from '../options.js';
import { checkShardManifest } from '../run/check.js';
import { readRunJson, writeRunJson } from '../run/files.js';
import { runPath } from '../run/layout.js';
import { lockRun } from '../run/lock.js';
import { finishStage, requireTrusted, startStage } from '../run/manifest.js';
import type { CalibrationResult, RunManifest } from '../run/schema.js';
import { calibrationFromHistograms, writeCalibration } from './calibration-output.js';

export interface MergeHistogramsOptions {
  /** The shard runs (`calibrate --shard i/n`), all n of them, in any order. */
  runs: readonly string[];
  /** Run directory to write: a complete run, as if calibrated in one process. */
  out: string;
  trtVersion?: number;
  cacheHeader?: string;
}

export interface MergeSummary {
  runDir: string;
  calibration: CalibrationResult;
  images: number;
  shards: number;
}

type ShardRun = { dir: string; manifest: RunManifest & { calibration: { shard: { index: number; count: number; totalImages: number } } } };

/**
 * Sums the shards' exact histograms (order-independent, so the sum is the histogram of all the
 * images) and writes one complete run: its histograms.bin, calibration.json and cache equal
 * those of the same calibration in one process, byte for byte.
 */
export async function mergeHistograms(options: MergeHistogramsOptions): Promise<MergeSummary> {
  if (options.runs.length === 0) throw new Int8calError('MISSING_OPTION', 'merge-histograms needs the shard runs', { hint: 'int8cal merge-histograms SHARD1 SHARD2 … --out RUN' });
  const shards = await Promise.all(options.runs.map(async (r): Promise<ShardRun> => {
    const dir = resolve(r);
    // A shard's files must be those its calibrate --shard completed (run/manifest.ts).
    await requireTrusted(dir, ['run', 'fp32', 'histograms']);
    return { dir, manifest: await readRunJson(dir, 'run', checkShardManifest, 'calibrate --shard i/n') };
  }));
  shards.sort((a, b) => a.manifest.calibration.shard.index - b.manifest.calibration.shard.index);
  checkComplete(shards);
  await checkSameModel(shards);
  const out = resolve(options.out);
  const lock = await lockRun(out);
  try {
    await startStage(out, 'calibrate');
    const merged = await readHistogramFile(runPath(shards[0]!.dir, 'histograms'));
    for (const shard of shards.slice(1)) addInto(merged, await readHistogramFile(runPath(shard.dir, 'histograms')), shard.dir);
    const first = shards[0]!.manifest;
    const rule = createAmaxRule(first.calibration.calibrator, { percentile: first.calibration.percentile });
    const header = { trtVersion: options.trtVersion ?? defaultOf('trtVersion'), algorithm: options.cacheHeader ?? defaultOf('cacheHeader') };
    const calibration = await calibrationFromHistograms(merged.tensors, rule, merged.mode, header);
    if (shards[0]!.dir !== out) await copyFileAtomic(runPath(shards[0]!.dir, 'fp32'), runPath(out, 'fp32'));
    await writeHistogramFile(runPath(out, 'histograms'), merged);
    await writeCalibration(out, calibration);
    const { shard: _, ...calibrationOptions } = first.calibration;
    const images = shards.flatMap((s) => s.manifest.calibration.images);
    await writeRunJson(out, 'run', { ...first, calibration: { ...calibrationOptions, images } });
    await finishStage(out, 'calibrate', ['run', 'fp32', 'histograms', 'calibration', 'cache'], []);
    return { runDir: out, calibration, images: images.length, shards: shards.length };
  } finally {
    await lock.release();
  }
}

/** Every shard 1..n exactly once, all of one split of the same images and options. */
function checkComplete(shards: readonly ShardRun[]): void {
  const first = shards[0]!.manifest;
  const { count, totalImages } = first.calibration.shard;
  shards.forEach((s, i) => {
    const c = s.manifest.calibration;
    const where = runPath(s.dir, 'run');
    if (c.shard.count !== count || c.shard.totalImages !== totalImages) {
      throw new Int8calError('SHARD_MISMATCH', `${where} is shard ${c.shard.index}/${c.shard.count} of ${c.shard.totalImages} images, but ${runPath(shards[0]!.dir, 'run')} is ${first.calibration.shard.index}/${count} of ${totalImages}`, {
        file: where, hint: 'merge the shards of one calibration: same images, same --shard i/n count',
      });
    }
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const options = ({ calibrator, percentile, histogram, batchSize }: RunManifest['calibration']) => ({ calibrator, percentile, histogram, batchSize });
    if (s.manifest.input !== first.input || !same(s.manifest.preprocessing, first.preprocessing) || !same(options(c), options(first.calibration))) {
      throw new Int8calError('SHARD_MISMATCH', `${where} was calibrated with other options (input, preprocessing, calibrator or batch size) than ${runPath(shards[0]!.dir, 'run')}`, {
        file: where, hint: 'run every shard with the same calibrate options, only --shard differing',
      });
    }
    if (c.shard.index !== i + 1) {
      const missing = c.shard.index > i + 1 ? `shard ${i + 1}/${count} is missing` : `shard ${c.shard.index}/${count} is given twice`;
      throw new Int8calError('SHARD_INCOMPLETE', `Cannot merge: ${missing}`, { file: where, hint: `give all ${count} shard runs, each once` });
    }
  });
  if (shards.length !== count) {
    throw new Int8calError('SHARD_INCOMPLETE', `Cannot merge: ${count} shards were calibrated, ${shards.length} given (shard ${shards.length + 1}/${count} is missing)`, {
      hint: `give all ${count} shard runs`,
    });
  }
}

/** The shards prepared the same model (model.fp32.onnx is deterministic). */
async function checkSameModel(shards: readonly ShardRun[]): Promise<void> {
  const digest = async (dir: string) => createHash('sha256').update(await readFile(runPath(dir, 'fp32'))).digest('hex');
  const reference = await digest(shards[0]!.dir);
  for (const s of shards.slice(1)) {
    if (s.manifest.model.sha256 !== shards[0]!.manifest.model.sha256 || (await digest(s.dir)) !== reference) {
      throw new Int8calError('SHARD_MISMATCH', `${s.dir} calibrated another model than ${shards[0]!.dir}`, {
        file: runPath(s.dir, 'fp32'), hint: 'merge the shards of one model (same model file, same int8cal version)',
      });
    }
  }
}

function addInto(merged: HistogramSet, part: HistogramSet, dir: string): void {
  const names = [...merged.tensors.keys()];
  const same = names.length === part.tensors.size && [...part.tensors.keys()].every((n, i) => n === names[i]);
  if (!same || part.mode !== merged.mode) {
    throw new Int8calError('SHARD_MISMATCH', `${runPath(dir, 'histograms')} holds other tensors than the first shard's`, {
      file: runPath(dir, 'histograms'), hint: 'merge the shards of one model and one int8cal version',
    });
  }
  for (const [name, histogram] of merged.tensors) histogram.merge(part.tensors.get(name)!);
}
