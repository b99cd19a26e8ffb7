import { resolve } from 'node:path';
import { Int8calError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { readRunJson, refuseShardRun } from '../run/files.js';
import { checkRunManifest } from '../run/check.js';
import { runPath } from '../run/layout.js';
import { lockRun } from '../run/lock.js';
import { finishStage, requireTrusted, startStage } from '../run/manifest.js';
import type { Results } from '../../reports/results-schema.js';
import { checkResults } from '../../reports/results-check.js';
import { compareBaseline } from '../../reports/baseline.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';

export interface ReportOptions {
  run: string;
  /** An older run directory: every metric shows its change since that run. */
  baseline?: string;
  /** Compare with a baseline whose images, preprocessing or outputs differ (labelled). */
  baselineForce?: boolean;
}

export interface ReportPaths {
  html: string;
  markdown: string;
}

/** Renders RUN/results.json as report.html (self-contained) and report.md. */
export async function report(options: ReportOptions): Promise<ReportPaths> {
  const runDir = resolve(options.run);
  await refuseShardRun(runDir, checkRunManifest);
  await requireTrusted(runDir, ['results']);
  const results = await readResults(runDir);
  const baseline = options.baseline ? await readResults(resolve(options.baseline)) : undefined;
  const comparison = baseline && compareBaseline(results, baseline, options.baselineForce);
  if (comparison?.differences.length && !options.baselineForce) {
    const path = runPath(resolve(options.baseline!), 'results');
    throw new Int8calError('BASELINE_MISMATCH', `Cannot compare with baseline ${path}: ${comparison.differences.join('; ')}`, {
      file: path, hint: 'evaluate both runs on the same images with the same preprocessing, or pass --baseline-force to compare anyway (labelled)',
    });
  }
  const renderOptions = { baseline, baselineNotes: comparison?.labels ?? [] };
  const html = runPath(runDir, 'reportHtml');
  const markdown = runPath(runDir, 'reportMd');
  const lock = await lockRun(runDir);
  try {
    await startStage(runDir, 'report');
    await writeFileAtomic(html, renderHtml(results, renderOptions));
    await writeFileAtomic(markdown, renderMarkdown(results, renderOptions));
    await finishStage(runDir, 'report', ['reportHtml', 'reportMd'], ['results']);
  } finally {
    await lock.release();
  }
  return { html, markdown };
}

/** RUN/results.json, checked field by field and migrated to the current version. */
export function readResults(runDir: string): Promise<Results> {
  return readRunJson(runDir, 'results', checkResults, 'evaluate');
}
