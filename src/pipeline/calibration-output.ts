import { AUTO_CANDIDATES, AUTO_CRITERION, Auto } from '../../calibrators/auto.js';
import { formatCache } from '../../calibrators/cache.js';
import type { AmaxRule } from '../../calibrators/amax-rule.js';
import type { Calibrator } from './calibrator.js';
import { tensorCalibration } from './tensor-calibration.js';
import { writeFileAtomic } from '../core/atomic.js';
import { DEFAULT_LINEAR_BINS, type Histogram, type HistogramMode } from '../core/native.js';
import { runPath } from '../run/layout.js';
import { filesOf } from '../run/manifest.js';
import { writeRunJson, removeRunFiles } from '../run/files.js';
import type { CalibrationResult, TensorCalibration } from '../run/schema.js';

export interface CacheHeader {
  trtVersion: number;
  algorithm: string;
}

/** Per-tensor ranges from histograms, through a calibrator's amax rule. */
export async function calibrationFromHistograms(
  histograms: ReadonlyMap<string, Histogram>,
  rule: AmaxRule,
  mode: HistogramMode,
  header: CacheHeader,
): Promise<CalibrationResult> {
  const tensors: Record<string, TensorCalibration> = {};
  const chosen = new Map<string, number>(AUTO_CANDIDATES.map((c) => [c, 0]));
  for (const [name, histogram] of histograms) {
    const choice = rule instanceof Auto ? await rule.choose(histogram) : undefined;
    const amax = choice ? choice.amax : await rule.computeAmax(histogram);
    const stats = histogram.stats();
    const linear = stats.range > 0 ? histogram.linear(DEFAULT_LINEAR_BINS, stats.range) : new Float64Array(DEFAULT_LINEAR_BINS);
    tensors[name] = tensorCalibration(choice?.chosen ?? rule.name, amax, stats, linear);
    if (choice) {
      tensors[name].auto = { candidates: choice.candidates };
      chosen.set(choice.chosen, chosen.get(choice.chosen)! + 1);
    }
  }
  const auto = rule instanceof Auto ? { auto: { criterion: AUTO_CRITERION, chosen: Object.fromEntries(chosen) } } : {};
  return { schema: 'int8cal/calibration', version: 1, calibrator: rule.name, histogram: mode, cacheHeader: header, ...auto, tensors };
}

/**
 * Writes calibration.json and the TensorRT cache, and drops what later stages built from
 * an older calibration (their models would no longer match).
 */
export async function writeCalibration(runDir: string, result: CalibrationResult, calibrator?: Calibrator): Promise<void> {
  await removeRunFiles(runDir, [...filesOf('build'), ...filesOf('tune'), 'results', 'reportHtml', 'reportMd']);
  const scales = new Map(Object.entries(result.tensors).map(([name, t]) => [name, t.scale]));
  const cache = new TextEncoder().encode(formatCache({ ...result.cacheHeader, scales }));
  await writeRunJson(runDir, 'calibration', result);
  // Through the calibrator when there is one (it knows where its cache goes), as TensorRT's builder does.
  await (calibrator ? calibrator.writeCalibrationCache(cache) : writeFileAtomic(runPath(runDir, 'cache'), cache));
}
