import { resolve } from 'node:path';
import { Int8calError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { readRunJson, refuseShardRun } from '../run/files.js';
import { checkRunManifest } from '../run/check.js';
import { runPath } from '../run/layout.js';
import { isResults, RESULTS_VERSION, type Results } from '../../reports/results-schema.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';

export interface ReportOptions {
  run: string;
  /** An older run directory: every metric shows its change since that run. */
  baseline?: string;
}

export interface ReportPaths {
  html: string;
  markdown: string;
}

/** Renders RUN/results.json as report.html (self-contained) and report.md. */
export async function report(options: ReportOptions): Promise<ReportPaths> {
  const runDir = resolve(options.run);
  await refuseShardRun(runDir, checkRunManifest);
  const results = await readResults(runDir);
  const baseline = options.baseline ? await readResults(resolve(options.baseline)) : undefined;
  const html = runPath(runDir, 'reportHtml');
  const markdown = runPath(runDir, 'reportMd');
  await writeFileAtomic(html, renderHtml(results, { baseline }));
  await writeFileAtomic(markdown, renderMarkdown(results, { baseline }));
  return { html, markdown };
}

export function readResults(runDir: string): Promise<Results> {
  return readRunJson(runDir, 'results', (value, path) => {
    if (!isResults(value)) {
      const version = (value as { version?: unknown } | null)?.version;
      throw new Int8calError('RUN_FILE_VERSION', `${path} is not int8cal results version ${RESULTS_VERSION} (found version ${String(version)})`, {
        file: path, hint: 'run `int8cal evaluate` again with this int8cal',
      });
    }
    return value;
  }, 'evaluate');
}
