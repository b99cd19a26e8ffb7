import { calibrate, type CalibrateOptions } from './calibrate.js';
import { build, type BuildOptions } from './build.js';
import { evaluate, type EvaluateOptions } from './evaluate/index.js';
import { report, type ReportPaths } from './report.js';
import type { Results } from '../../reports/results-schema.js';

export type RunOptions = CalibrateOptions
  & Omit<BuildOptions, 'run' | 'cache'>
  & Omit<EvaluateOptions, 'run' | 'data'>
  & {
    /** Evaluation images (distinct from the calibration images in `data`). */
    evalData: string;
    baseline?: string;
    baselineForce?: boolean;
  };

export interface RunSummary {
  results: Results;
  report: ReportPaths;
}

/** calibrate → build → evaluate → report, each stage reading what the previous one wrote. */
export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  await calibrate(options);
  await build({ ...options, run: options.out });
  const results = await evaluate({ ...options, run: options.out, data: options.evalData });
  return { results, report: await report({ run: options.out, baseline: options.baseline, baselineForce: options.baselineForce }) };
}
