/**
 * Whether a baseline run can be compared with this one (`report --baseline`). Deltas only mean
 * something over the same evaluation images (names and bytes), the same preprocessing and the
 * same outputs; anything else is refused, naming what differs (`--baseline-force` compares
 * anyway, labelled). A different model is the normal case (this release vs the last): labelled.
 */
import type { Results } from './results-schema.js';

export interface BaselineComparison {
  /** What makes the deltas meaningless; non-empty → refuse unless forced. */
  differences: string[];
  /** Shown next to the deltas: a different model, a migrated file, a forced comparison. */
  labels: string[];
}

const firstDifference = (a: readonly string[], b: readonly string[]): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
};

function imageDifferences(results: Results, baseline: Results): string[] {
  const [a, b] = [results.evaluation.images, baseline.evaluation.images];
  const i = firstDifference(a, b);
  if (i >= 0) return [`evaluation images: ${a.length} here, ${b.length} in the baseline; first difference at #${i + 1}: ${a[i] ?? '(none)'} vs ${b[i] ?? '(none)'}`];
  const [ha, hb] = [results.evaluation.imageSha256, baseline.evaluation.imageSha256];
  if (!ha || !hb) return [];
  const j = firstDifference(ha, hb);
  return j >= 0 ? [`evaluation image ${a[j]} has other contents (sha256 ${ha[j]?.slice(0, 12)}… vs ${hb[j]?.slice(0, 12)}…)`] : [];
}

/** Output names compared: the current field, or (version 1) those of the first scored variant. */
const outputsOf = (r: Results): string[] => r.evaluation.outputs ?? r.variants.find((v) => v.outputs.length)?.outputs.map((o) => o.name) ?? [];

export function compareBaseline(results: Results, baseline: Results, force = false): BaselineComparison {
  const differences = [...imageDifferences(results, baseline)];
  if (results.preprocessing !== baseline.preprocessing) differences.push(`preprocessing: ${results.preprocessing} vs ${baseline.preprocessing} in the baseline`);
  if (results.input !== baseline.input) differences.push(`model input: ${results.input} vs ${baseline.input} in the baseline`);
  const [oa, ob] = [outputsOf(results), outputsOf(baseline)];
  if (oa.join('\n') !== ob.join('\n')) differences.push(`outputs: ${oa.join(', ') || '(none)'} vs ${ob.join(', ') || '(none)'} in the baseline`);
  const labels: string[] = [];
  if (results.model.sha256 !== baseline.model.sha256 || results.model.source !== baseline.model.source) {
    labels.push(`The baseline evaluated another model (${baseline.model.source}${baseline.model.sha256 ? `, sha256 ${baseline.model.sha256.slice(0, 12)}…` : ''}).`);
  }
  if (baseline.migratedFrom !== undefined && !baseline.evaluation.imageSha256) labels.push(`The baseline's results.json is version ${baseline.migratedFrom}: its images are compared by name only (no sha256).`);
  if (force && differences.length) labels.push(`Compared anyway (--baseline-force) although ${differences.join('; ')}: the changes shown may not mean anything.`);
  return { differences, labels };
}
