import { Int8calError } from '../../core/errors.js';
import type { Task } from '../../../reports/results-schema.js';

/** Metrics a pass condition can name (tune's own grammar, not --fail-on's failure gates). */
export const TARGET_METRICS = ['psnr', 'pd', 'top1', 'f1', 'ap', 'cosine', 'miou'] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];

/** One pass condition, e.g. psnr >= 30. */
export interface TargetCondition {
  metric: TargetMetric;
  op: '>=' | '<=';
  value: number;
}

export interface AccuracyTarget {
  expression: string;
  conditions: TargetCondition[];
  /** "user", or why this default applies (e.g. "default for detection"). */
  source: string;
}

/** One variant's (or step's) metrics, worst over outputs: psnr/cosine the lowest, pd the highest. */
export type TargetMetrics = Partial<Record<TargetMetric, number>>;

/** "psnr>=30,f1>=0.95" → conditions; every condition must hold for the target to pass. */
export function parseAccuracyTarget(expression: string, source = 'user'): AccuracyTarget {
  const parts = expression.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw badTarget(expression, 'it is empty');
  const conditions = parts.map((part) => {
    const match = /^([a-z0-9]+)\s*(>=|<=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(part);
    if (!match) throw badTarget(expression, `"${part}" is not METRIC>=NUMBER or METRIC<=NUMBER`);
    const metric = match[1]!.toLowerCase() as TargetMetric;
    if (!TARGET_METRICS.includes(metric)) throw badTarget(expression, `unknown metric "${match[1]}"`);
    return { metric, op: match[2] as '>=' | '<=', value: Number(match[3]) };
  });
  return { expression: parts.join(','), conditions, source };
}

function badTarget(expression: string, why: string): Int8calError {
  return new Int8calError('BAD_ACCURACY_TARGET', `Invalid --accuracy-target "${expression}": ${why}`, {
    hint: `pass conditions joined by ",", e.g. "psnr>=30" or "f1>=0.95,cosine>=0.99"; metrics: ${TARGET_METRICS.join(', ')}`,
  });
}

/** The target a run is judged against when the user gave none, by task. */
export function defaultAccuracyTarget(task: Task): AccuracyTarget {
  const expression = task === 'detection' ? 'f1>=0.95' : task === 'classification' ? 'top1>=0.99' : task === 'segmentation' ? 'miou>=0.95' : 'psnr>=30';
  return parseAccuracyTarget(expression, `default for task ${task}`);
}

/** Whether every condition holds; a metric that wasn't measured fails its condition. */
export function meetsTarget(metrics: TargetMetrics, target: AccuracyTarget): boolean {
  return target.conditions.every((c) => {
    const value = metrics[c.metric];
    if (value === undefined || Number.isNaN(value)) return false;
    return c.op === '>=' ? value >= c.value : value <= c.value;
  });
}

/** The metric a search climbs: the first condition's, signed so that larger is better. */
export function progressOf(metrics: TargetMetrics, target: AccuracyTarget): number {
  const c = target.conditions[0]!;
  const value = metrics[c.metric] ?? -Infinity;
  return c.op === '>=' ? value : -value;
}

/** The metrics a target needs that a task cannot give (e.g. f1 without detection outputs). */
export function unsupportedMetrics(target: AccuracyTarget, available: readonly TargetMetric[]): TargetMetric[] {
  return target.conditions.map((c) => c.metric).filter((m) => !available.includes(m));
}

/** Metrics as JSON holds them: ±∞ (a PSNR of identical outputs) as "inf" / "-inf". */
export type JsonMetrics = Partial<Record<TargetMetric, number | 'inf' | '-inf'>>;

export function toJsonMetrics(m: TargetMetrics): JsonMetrics {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v]));
}

export function fromJsonMetrics(m: JsonMetrics): TargetMetrics {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v]));
}
