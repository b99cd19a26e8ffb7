import { access, readFile } from 'node:fs/promises';
import { readHistogramFile } from '../../run/histogram-file.js';
import { DEFAULT_LINEAR_BINS } from '../../core/native.js';
import { checkCalibration } from '../../run/check.js';
import { readRunJson } from '../../run/files.js';
import { runPath } from '../../run/layout.js';
import { summarizeCalibration } from './calibration-summary.js';
import type { CalibrationSummary, TuneReport } from '../../../reports/results-schema.js';

/** The calibration part of results.json, with histograms of the most clipped tensors. */
export async function calibrationSummary(runDir: string): Promise<{ calibration?: CalibrationSummary }> {
  const exists = (file: 'calibration' | 'histograms') => access(runPath(runDir, file)).then(() => true, () => false);
  if (!(await exists('calibration'))) return {};
  const calibration = await readRunJson(runDir, 'calibration', checkCalibration, 'calibrate');
  const set = (await exists('histograms')) ? await readHistogramFile(runPath(runDir, 'histograms')) : undefined;
  return {
    calibration: summarizeCalibration(calibration, (tensor) => {
      const histogram = set?.tensors.get(tensor);
      if (!histogram) return undefined;
      const { range } = histogram.stats();
      return range > 0 ? { range, counts: histogram.linear(DEFAULT_LINEAR_BINS, range) } : undefined;
    }),
  };
}

/** RUN/tune.json for the report, when tune ran on this run. */
export async function tuneSummary(runDir: string): Promise<{ tune?: TuneReport }> {
  const path = runPath(runDir, 'tune');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  const tune = JSON.parse(text) as TuneReport & { schema?: string };
  return tune.schema === 'int8cal/tune' ? { tune } : {};
}
