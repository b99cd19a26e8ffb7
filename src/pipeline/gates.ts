/**
 * `--fail-on` gates ("psnr<30,pd>3": fail when PSNR < 30 dB or PD > 3) and a variant's verdict:
 * every gate checked against every output (or the variant) it applies to, plus the thresholds
 * metrics carry themselves (the PD network's). Pure functions over results data.
 *
 * An output with NaN/±Inf where the reference has other values is broken whatever its other
 * numbers say (cosine, |Δ| and PD are computed over what is left): every check of that output
 * fails, with a note saying why, and a `non-finite` check is added, so the verdict is "fail"
 * even when no threshold applies.
 *
 * A gate that cannot be evaluated fails: on a metric that is undefined (F1 when the reference
 * detected nothing, AP without ground truth) and on a metric the variant does not have at all,
 * with a note saying why (value null).
 */
import { Int8calError } from '../core/errors.js';
import type { Gate, OutputMetrics, VariantResult, VariantVerdict, VerdictCheck } from '../../reports/results-schema.js';
import { fromDecibels, type Decibels } from '../metrics/psnr.js';
import { OUTPUT_METRICS as OUTPUT_METRIC_LIST } from '../metrics/output-metrics.js';

/** Gate metric names → how to read them from an output: each output metric's own gates. */
const OUTPUT_METRICS: Record<string, (o: OutputMetrics) => number | Decibels | undefined> = Object.fromEntries(
  OUTPUT_METRIC_LIST.flatMap((m) => Object.entries(m.gates ?? {}).map(([gate, read]) => {
    const reader = read as (result: unknown) => number | Decibels | undefined;
    return [gate, (o: OutputMetrics) => {
      const result = (o as unknown as Record<string, unknown>)[m.field];
      return result === undefined ? undefined : reader(result);
    }];
  })),
);
/** A variant-wide metric: its value, null with the reason when undefined, undefined when it doesn't apply. */
type VariantReading = number | { undefinedReason: string } | undefined;
const VARIANT_METRICS: Record<string, (v: VariantResult) => VariantReading> = {
  f1: (v) => {
    const f1 = v.detection?.f1;
    if (!f1) return undefined;
    return f1.value ?? { undefinedReason: f1.undefinedReason ?? 'F1 is undefined' };
  },
  ap: (v) => {
    const ap = v.detection?.ap;
    if (!ap) return undefined;
    return ap.value ?? { undefinedReason: 'AP is undefined: the ground truth has no boxes for the images evaluated' };
  },
  accuracy: (v) => v.accuracy?.value,
  speedup: (v) => v.verdict.speedup,
};
export const GATE_METRICS: readonly string[] = [...Object.keys(OUTPUT_METRICS), ...Object.keys(VARIANT_METRICS)];

/** Parses "psnr<30, pd>3" (also ≤/≥ as <= and >=). */
export function parseGates(text: string): Gate[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((expression) => {
    const m = /^([a-z0-9-]+)\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(expression);
    if (!m) {
      throw new Int8calError('INVALID_GATE', `Cannot read the gate ${JSON.stringify(expression)}`, { hint: 'write gates as METRIC<VALUE or METRIC>VALUE, comma-separated, e.g. --fail-on "psnr<30,pd>3"' });
    }
    const metric = m[1]!.toLowerCase();
    if (!GATE_METRICS.includes(metric)) {
      throw new Int8calError('INVALID_GATE', `Unknown metric ${JSON.stringify(metric)} in the gate ${JSON.stringify(expression)}`, { hint: `gate metrics: ${GATE_METRICS.join(', ')}` });
    }
    return { expression, metric, op: m[2] as Gate['op'], value: Number(m[3]) };
  });
}

/** A gate that could not be evaluated: a failed check, value null, saying why. */
function unevaluatedCheck(gate: Gate, note: string): VerdictCheck {
  return {
    metric: gate.metric, value: null, threshold: gate.value, direction: gate.op.startsWith('<') ? 'min' : 'max',
    ...(gate.op.length === 2 ? { strict: true as const } : {}),
    verdict: 'fail', source: `--fail-on ${gate.expression}`, note,
  };
}

/** The check for one value: the gate "m < v" fails when the value is below v, so it passes when ≥ v. */
function gateCheck(gate: Gate, value: number | Decibels, output?: string): VerdictCheck {
  const x = typeof value === 'number' ? value : fromDecibels(value);
  const fails = gate.op === '<' ? x < gate.value : gate.op === '<=' ? x <= gate.value : gate.op === '>' ? x > gate.value : x >= gate.value;
  return {
    metric: gate.metric,
    ...(output === undefined ? {} : { output }),
    value,
    threshold: gate.value,
    direction: gate.op.startsWith('<') ? 'min' : 'max',
    ...(gate.op.length === 2 ? { strict: true as const } : {}),
    verdict: fails || Number.isNaN(x) ? 'fail' : 'pass',
    source: `--fail-on ${gate.expression}`,
  };
}

/** Gate failures of whole results: failed `--fail-on` checks. Non-empty → exit 2. */
export function failedGateChecks(variants: readonly VariantResult[]): { variant: string; check: VerdictCheck }[] {
  return variants.flatMap((v) => v.verdict.checks.filter((c) => c.verdict === 'fail' && c.source.startsWith('--fail-on')).map((check) => ({ variant: v.name, check })));
}

/** Where the `non-finite` check comes from: element pairs NaN/±Inf on one side only (PSNR's `nonFinite`). */
export const NON_FINITE_SOURCE = 'NaN/Inf where the reference has other values (always checked)';

/** Why a check of output `o` fails whatever its value: NaN/Inf in the output, or (PD) in its embeddings. */
function brokenNote(c: VerdictCheck, o: OutputMetrics | undefined): string | undefined {
  if (!o) return undefined;
  if (o.psnr && o.psnr.nonFinite > 0) return `${o.psnr.nonFinite} NaN/Inf`;
  if (c.metric === 'pd' && o.pd && o.pd.brokenImages > 0) return `${o.pd.brokenImages} image(s) with NaN/Inf embeddings`;
  return undefined;
}

/** Broken outputs fail every check of them; a `non-finite` check per output with NaN/Inf says how many. */
function failBrokenOutputs(checks: VerdictCheck[], outputs: readonly OutputMetrics[]): VerdictCheck[] {
  const failed = checks.map((c): VerdictCheck => {
    const note = brokenNote(c, outputs.find((o) => o.name === c.output));
    return note === undefined ? c : { ...c, verdict: 'fail', note };
  });
  const nonFinite = outputs.filter((o) => (o.psnr?.nonFinite ?? 0) > 0).map((o): VerdictCheck => ({
    metric: 'non-finite', output: o.name, value: o.psnr!.nonFinite, threshold: 0, direction: 'max', verdict: 'fail', source: NON_FINITE_SOURCE,
  }));
  return [...failed, ...nonFinite];
}

/**
 * A variant's verdict: gate checks, then metric thresholds (PD's network threshold, any
 * threshold a metric was given), then outputs with NaN/Inf. `unmatched`: gates that applied
 * to nothing in this variant.
 */
export function variantVerdict(variant: Omit<VariantResult, 'verdict'>, gates: readonly Gate[], referenceP50: number): VariantVerdict & { unmatched: Gate[] } {
  const speedup = variant.latency.p50 > 0 ? referenceP50 / variant.latency.p50 : 1;
  const withSpeed = { ...variant, verdict: { verdict: 'none' as const, checks: [], speedup } };
  const checks: VerdictCheck[] = [];
  const unmatched: Gate[] = [];
  for (const gate of gates) {
    const before = checks.length;
    const readOutput = OUTPUT_METRICS[gate.metric];
    if (readOutput) {
      for (const o of variant.outputs) {
        const value = readOutput(o);
        if (value !== undefined) checks.push(gateCheck(gate, value, o.name));
      }
    } else {
      const value = VARIANT_METRICS[gate.metric]!(withSpeed);
      if (typeof value === 'number') checks.push(gateCheck(gate, value));
      else if (value) checks.push(unevaluatedCheck(gate, `undefined: ${value.undefinedReason}`));
    }
    if (checks.length === before) {
      unmatched.push(gate);
      checks.push(unevaluatedCheck(gate, `cannot be evaluated: variant ${variant.name} has no ${gate.metric}`));
    }
  }
  for (const o of variant.outputs) {
    for (const r of [o.pd, o.psnr, o.similarity, o.classification, o.probabilityMap]) {
      if (!r || r.threshold === undefined || r.verdict === undefined) continue;
      const metric = r.metric === 'similarity' ? 'cosine' : r.metric;
      const value = r.metric === 'similarity' ? r.cosine.mean : r.value;
      const source = r.metric === 'pd' ? `${r.network} threshold${r.thresholdSource ? `: ${r.thresholdSource}` : ''}` : `${metric} threshold`;
      checks.push({ metric, output: o.name, value, threshold: r.threshold, direction: r.metric === 'pd' ? 'max' : 'min', verdict: r.verdict, source });
    }
  }
  const f1 = variant.detection?.f1;
  if (f1?.threshold !== undefined && f1.verdict) {
    checks.push({ metric: 'f1', value: f1.value, threshold: f1.threshold, direction: 'min', verdict: f1.verdict, source: 'f1 threshold', ...(f1.undefinedReason ? { note: `undefined: ${f1.undefinedReason}` } : {}) });
  }
  const all = failBrokenOutputs(checks, variant.outputs);
  const verdict = all.length === 0 ? 'none' : all.some((c) => c.verdict === 'fail') ? 'fail' : 'pass';
  return { verdict, checks: all, speedup, unmatched };
}
