/**
 * results.json read back is checked as strictly as a user flag: every field a renderer or a
 * baseline comparison reads has the type the contract says, or the file is refused naming the
 * field. Older versions are migrated to the current one (every version int8cal wrote stays
 * readable, e.g. as a `--baseline`).
 */
import { Int8calError } from '../src/core/errors.js';
import { RESULTS_SCHEMA, RESULTS_VERSION, TASKS, type Results } from './results-schema.js';

type Check = (value: unknown, at: string) => void;

class Invalid extends Error {}

const fail = (at: string, expected: string, value: unknown): never => {
  const shown = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
  throw new Invalid(`${at} is ${shown}, expected ${expected}`);
};
const str: Check = (v, at) => void (typeof v === 'string' || fail(at, 'a string', v));
const num: Check = (v, at) => void ((typeof v === 'number' && Number.isFinite(v)) || fail(at, 'a finite number', v));
const count: Check = (v, at) => void ((Number.isInteger(v) && (v as number) >= 0) || fail(at, 'a non-negative integer', v));
const decibels: Check = (v, at) => void ((typeof v === 'number' && Number.isFinite(v)) || v === 'inf' || v === '-inf' || fail(at, 'a number, "inf" or "-inf"', v));
const oneOf = (...allowed: unknown[]): Check => (v, at) => void (allowed.includes(v) || fail(at, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, v));
const nullable = (check: Check): Check => (v, at) => (v === null ? undefined : check(v, at));
const optional = (check: Check): Check => (v, at) => (v === undefined ? undefined : check(v, at));
const array = (check: Check): Check => (v, at) => {
  if (!Array.isArray(v)) fail(at, 'an array', v);
  (v as unknown[]).forEach((item, i) => check(item, `${at}[${i}]`));
};
const record = (fields: Record<string, Check>): Check => (v, at) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, 'an object', v);
  for (const [key, check] of Object.entries(fields)) check((v as Record<string, unknown>)[key], `${at}.${key}`);
};

const verdict = optional(oneOf('pass', 'fail'));
const summary = record({ count: count, mean: num, min: num, p5: num, max: num });
const latency = record({ count: count, mean: num, min: num, p50: num, p90: num, p99: num, max: num, imagesPerSecond: num });
/** A metric result results.json's contract has no field for (a newer metric): the shape every result has. */
const otherMetric = record({ metric: str, value: nullable(num) });
const SHAPED_FIELDS = new Set(['name', 'dims', 'psnr', 'similarity', 'agreement', 'pd', 'classification', 'probabilityMap', 'segmentation']);
const otherMetrics: Check = (v, at) => {
  for (const [key, r] of Object.entries(v as Record<string, unknown>)) if (!SHAPED_FIELDS.has(key)) otherMetric(r, `${at}.${key}`);
};
const both = (a: Check, b: Check): Check => (v, at) => { a(v, at); b(v, at); };
const output = both(record({
  name: str, dims: array(count),
  // Float outputs carry PSNR and similarity; integer outputs (labels, indices) exact agreement instead.
  psnr: optional(record({ value: decibels, mse: num, peak: num, nonFinite: count, perImage: array(decibels), threshold: optional(num), verdict })),
  similarity: optional(record({ cosine: summary, maxAbs: num, meanAbs: num, nonFinite: count, perImage: array(num) })),
  agreement: optional(record({ value: num, equal: count, total: count, unit: oneOf('pixels', 'elements'), perImage: array(num) })),
  pd: optional(record({ value: num, network: str, tensor: str, brokenImages: count, perImage: array(nullable(num)), threshold: optional(num), verdict })),
  classification: optional(record({ value: num, agreed: count, total: count, threshold: optional(num), verdict })),
  probabilityMap: optional(record({ value: num, binarizeAt: num, threshold: optional(num), verdict })),
  segmentation: optional(record({ value: num, miou: num, classes: count, pixels: count, perImage: array(num) })),
}), otherMetrics);
const detection = record({
  boxes: optional(str), scores: optional(str), boxFormat: oneOf('xyxy', 'cxcywh'), scoreThreshold: num, nmsIou: num,
  f1: optional(record({ value: nullable(num), truePositives: count, falsePositives: count, falseNegatives: count, perImage: array(num), undefinedReason: optional(str), threshold: optional(num), verdict })),
  ap: optional(record({ value: nullable(num), groundTruth: count, detections: count, truePositives: count })),
});
const check = record({
  metric: str, output: optional(str), value: nullable(decibels), threshold: num, direction: oneOf('min', 'max'), verdict: oneOf('pass', 'fail'), source: str, note: optional(str),
});
const variant = record({
  name: str, modelFile: str, precision: oneOf('fp32', 'fp16', 'int8'), device: optional(oneOf('gpu')), latency, outputs: array(output), detection: optional(detection),
  worstImages: array(record({ file: str, output: str, psnr: decibels })),
  verdict: record({ verdict: oneOf('pass', 'fail', 'none', 'not-quantized'), checks: array(check), speedup: num }),
  layers: optional(record({ total: count, byPrecision: record({ int8: count, fp16: count, fp32: count, other: count }) })),
});
const results = record({
  schema: oneOf(RESULTS_SCHEMA), createdAt: str, run: str, model: record({ source: str, sha256: optional(str) }), input: str, preprocessing: str,
  evaluation: record({
    data: str, images: array(str), imageSha256: optional(array(str)), task: oneOf(...TASKS), batchSize: count, iterations: count, warmup: count,
    gates: array(record({ expression: str, metric: str, op: oneOf('<', '<=', '>', '>='), value: num })),
    outputs: optional(array(str)),
  }),
  environment: record({ cpu: str, cores: count, threads: count }),
  reference: str, variants: array(variant),
});

/**
 * Checks parsed results.json and migrates it to the current version. v1 (before the schema
 * carried image hashes, undefined metrics and unevaluable gates) reads as v2 with
 * `migratedFrom: 1`: its F1 of 1 with nothing detected can't be told apart, so it is kept.
 */
export function checkResults(value: unknown, path: string): Results {
  const version = (value as { version?: unknown } | null)?.version;
  if ((value as { schema?: unknown } | null)?.schema !== RESULTS_SCHEMA) {
    throw new Int8calError('RUN_FILE_CORRUPT', `${path} is not an int8cal results file`, { file: path, hint: 'run `int8cal evaluate` for this run directory' });
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > RESULTS_VERSION) {
    throw new Int8calError('RUN_FILE_VERSION', `${path} has results version ${String(version)}; this int8cal reads versions 1 to ${RESULTS_VERSION}`, {
      file: path, hint: typeof version === 'number' && version > RESULTS_VERSION ? 'it was written by a newer int8cal: upgrade int8cal' : 'run `int8cal evaluate` again',
    });
  }
  try {
    results(value, 'results');
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    throw new Int8calError('RUN_FILE_CORRUPT', `${path} is not valid int8cal results: ${error.message}`, { file: path, hint: 'run `int8cal evaluate` again to rewrite it' });
  }
  const checked = value as Results;
  return version === RESULTS_VERSION ? checked : { ...checked, version: RESULTS_VERSION, migratedFrom: version };
}
