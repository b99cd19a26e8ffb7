/**
 * The report's content as tables of plain strings, built once from results (and a baseline)
 * and rendered by html.ts and markdown.ts, which only add markup and escaping.
 */
import { fromDecibels, type Decibels } from './decibels.js';
import type { Verdict } from './verdict.js';
import { DASH, db, delta, ms, num, percent, speedPhrase, times, type Delta } from './format.js';
import type { CalibrationSummary, OutputMetrics, Results, VariantResult, VerdictCheck } from './results-schema.js';

export interface Cell {
  text: string;
  /** Right-aligned numbers. */
  numeric?: boolean;
  /** Change since the baseline run. */
  delta?: Delta;
  verdict?: Verdict | 'none';
  /** HTML only: thumbnails of reference and test output (PNG data URIs). */
  images?: { reference: string; test: string };
}

export interface Table {
  columns: string[];
  rows: Cell[][];
}

const text = (t: string): Cell => ({ text: t });
const numeric = (t: string, d?: Delta): Cell => (d ? { text: t, numeric: true, delta: d } : { text: t, numeric: true });

/** Worst (lowest) PSNR over a variant's outputs. */
export function worstPsnr(v: VariantResult): Decibels | undefined {
  let worst: Decibels | undefined;
  for (const o of v.outputs) if (o.psnr && (worst === undefined || fromDecibels(o.psnr.value) < fromDecibels(worst))) worst = o.psnr.value;
  return worst;
}

/** NaN/Inf elements over a variant's outputs where the reference has other values (0 for a healthy variant). */
export function nonFiniteCount(v: VariantResult): number {
  return v.outputs.reduce((n, o) => n + (o.psnr?.nonFinite ?? 0), 0);
}

/** "not quantized (3 of 119 ops int8)" for a variant build left mostly float; undefined otherwise. */
export function notQuantizedText(v: VariantResult): string | undefined {
  if (v.verdict.verdict !== 'not-quantized') return undefined;
  return v.coverage ? `not quantized (${v.coverage.quantized} of ${v.coverage.quantizable} ops int8)` : 'not quantized';
}

/**
 * A variant no --fail-on gate judged is judged by the run's accuracy target (the user's or the
 * task's default): whether it meets it, and the target's metrics as text ("f1 0.958").
 */
export function targetVerdictOf(results: Results, v: VariantResult): { meets: boolean; target: string; values: string } | undefined {
  const target = results.accuracyTarget;
  const entry = v.verdict.verdict === 'none' ? target?.variants.find((t) => t.name === v.name) : undefined;
  if (!target || !entry) return undefined;
  const named = new Set([...target.expression.matchAll(/([a-z0-9]+)\s*[<>]=/g)].map((m) => m[1]!));
  const value = (k: string, x: number | 'inf' | '-inf') => (typeof x !== 'number' ? x.replace('inf', '∞') : k === 'psnr' || k === 'pd' ? `${x.toFixed(2)}${k === 'psnr' ? ' dB' : ''}` : x.toFixed(3));
  const values = Object.entries(entry.metrics).filter(([k]) => named.has(k)).map(([k, x]) => `${k} ${value(k, x!)}`).join(', ');
  return { meets: entry.meets, target: `${target.expression} (${target.source})`, values };
}

/** The worst PSNR as text, saying why when outputs have NaN/Inf: "−∞ (1234 NaN/Inf)". */
export function worstPsnrText(v: VariantResult): string {
  const n = nonFiniteCount(v);
  const worst = worstPsnr(v);
  // A variant that is (mostly) the fp32 model matches it exactly: that is no ∞ dB of int8.
  if (notQuantizedText(v) && worst !== undefined && fromDecibels(worst) === Infinity) return 'same as fp32 (not quantized)';
  return db(worst) + (n ? ` (${n} NaN/Inf)` : '');
}

/** One failed or passed check in words: "cosine of y 0.998 (needs ≥ 0.999)", "y has 12 NaN/Inf values …". */
export function checkText(c: VerdictCheck): string {
  if (c.metric === 'non-finite') return `${c.output ?? 'an output'} has ${num(c.value === null ? null : fromDecibels(c.value))} NaN/Inf values where the reference has other values`;
  if (c.value === null) return `${c.metric}${c.output ? ` of ${c.output}` : ''} ${c.note ?? 'cannot be evaluated'}`;
  const value = c.metric === 'psnr' ? db(c.value) : num(fromDecibels(c.value));
  return `${c.metric}${c.output ? ` of ${c.output}` : ''} ${value}${c.note ? ` with ${c.note}` : ''} (needs ${passSymbol(c.direction, c.strict)} ${num(c.threshold)})`;
}

/** Worst (highest) PD over a variant's outputs that have one. */
export function worstPd(v: VariantResult): number | undefined {
  const values = v.outputs.flatMap((o) => (o.pd ? [o.pd.value] : []));
  return values.length ? Math.max(...values) : undefined;
}

function worstCosine(v: VariantResult): number | undefined {
  const values = v.outputs.flatMap((o) => (o.similarity ? [o.similarity.cosine.mean] : []));
  return values.length ? Math.min(...values) : undefined;
}

/** The task metric that best sums up a variant, e.g. "top-1 98.0 %", "F1 0.952, AP 0.871". */
function taskSummary(v: VariantResult): string {
  const parts: string[] = [];
  const cls = v.outputs.find((o) => o.classification)?.classification;
  if (cls) parts.push(`top-1 ${percent(cls.value, 3)}`);
  if (v.accuracy) parts.push(`accuracy ${percent(v.accuracy.value, 3)} (${v.accuracy.correct}/${v.accuracy.total})`);
  const map = v.outputs.find((o) => o.probabilityMap)?.probabilityMap;
  if (map) parts.push(`map IoU ${num(map.value, 3)}`);
  const seg = v.outputs.find((o) => o.segmentation)?.segmentation;
  if (seg) parts.push(`mIoU ${num(seg.miou, 3)}`);
  for (const o of v.outputs) if (o.agreement) parts.push(agreementText(o.agreement));
  if (v.detection?.f1) parts.push(`F1 ${v.detection.f1.value === null ? 'undefined' : num(v.detection.f1.value, 3)}`);
  if (v.detection?.ap) parts.push(`AP ${num(v.detection.ap.value, 3)}`);
  return parts.join(', ') || DASH;
}

export function findVariant(results: Results | undefined, name: string): VariantResult | undefined {
  return results?.variants.find((v) => v.name === name);
}

function findOutput(v: VariantResult | undefined, name: string): OutputMetrics | undefined {
  return v?.outputs.find((o) => o.name === name);
}

/**
 * What a GPU engine named after a precision really runs: "fp16 in 0 of 61 layers, 61 fp32" —
 * TensorRT's builder flags only allow a precision; undefined when the run recorded no layers.
 */
export function engineLayersText(v: VariantResult): string | undefined {
  if (!v.layers || v.precision === 'fp32') return undefined;
  const p = v.layers.byPrecision;
  const others = (['int8', 'fp16', 'fp32', 'other'] as const).filter((k) => k !== v.precision && p[k] > 0).map((k) => `${p[k]} ${k}`);
  return `${v.precision} in ${p[v.precision]} of ${v.layers.total} layers${others.length ? `, ${others.join(', ')}` : ''}`;
}

function variantLabel(v: VariantResult): string {
  const details = [engineLayersText(v) ?? (v.precision !== v.name && v.precision), v.placement && `${v.placement} placement`].filter(Boolean);
  return details.length ? `${v.name} (${details.join(', ')})` : v.name;
}

/** Verdict first: one row per variant. */
export function verdictTable(results: Results, baseline?: Results): Table {
  const rows = results.variants.map((v): Cell[] => {
    const b = findVariant(baseline, v.name);
    const isReference = v.name === results.reference;
    // NaN/Inf outputs: PSNR says how many; PD and cosine (computed without them) are marked failed.
    const marked = (c: Cell): Cell => (nonFiniteCount(v) ? { ...c, verdict: 'fail' } : c);
    const target = isReference ? undefined : targetVerdictOf(results, v);
    const verdict: Cell = target ? { text: target.meets ? 'meets target' : 'misses target', verdict: target.meets ? 'pass' : 'fail' }
      : { text: isReference ? 'reference' : notQuantizedText(v) ?? (v.verdict.verdict === 'none' ? 'no threshold' : v.verdict.verdict.toUpperCase()), verdict: isReference || v.verdict.verdict === 'not-quantized' ? 'none' : v.verdict.verdict };
    return [
      text(variantLabel(v)),
      verdict,
      marked(numeric(isReference ? DASH : worstPsnrText(v), b && !isReference ? delta(worstPsnr(v), worstPsnr(b), 'min', ' dB') : undefined)),
      marked(numeric(num(worstPd(v)), b ? delta(worstPd(v), worstPd(b), 'max') : undefined)),
      marked(numeric(isReference ? DASH : num(worstCosine(v), 6), b && !isReference ? delta(worstCosine(v), worstCosine(b), 'min') : undefined)),
      text(taskSummary(v)),
      numeric(ms(v.latency.p50) + (v.device === 'gpu' ? ' (GPU)' : '') + (v.latency.emulated ? ' (emulated)' : ''), b ? delta(v.latency.p50, b.latency.p50, 'max', ' ms') : undefined),
      numeric(times(v.verdict.speedup), b ? delta(v.verdict.speedup, b.verdict.speedup, 'min', '×') : undefined),
    ];
  });
  return { columns: ['Variant', 'Verdict', 'PSNR (worst output)', 'PD (worst output)', 'Cosine (worst output)', 'Task', 'Latency p50', 'Speed-up vs reference (GPU: vs trt-fp32)'], rows };
}

export function passSymbol(direction: 'min' | 'max', strict?: boolean): string {
  return direction === 'min' ? (strict ? '>' : '≥') : (strict ? '<' : '≤');
}

/** The checks behind each verdict. */
export function checksTable(results: Results): Table {
  const rows = results.variants.flatMap((v) => v.verdict.checks.map((c): Cell[] => [
    text(v.name),
    text(c.output ? `${c.metric} of ${c.output}` : c.metric),
    numeric((c.value === null ? 'undefined' : c.metric === 'psnr' ? db(c.value) : typeof c.value === 'number' ? num(c.value) : db(c.value)) + (c.note ? ` (${c.note})` : '')),
    numeric(`${passSymbol(c.direction, c.strict)} ${num(c.threshold)}`),
    { text: c.verdict.toUpperCase(), verdict: c.verdict },
    text(c.source),
  ]));
  return { columns: ['Variant', 'Check', 'Value', 'Pass when', 'Verdict', 'Threshold from'], rows };
}

/** A number cell of an output, marked failed when the output has NaN/Inf. */
function broken(t: string, o: OutputMetrics, d?: Delta): Cell {
  return o.psnr?.nonFinite ? { ...numeric(t, d), verdict: 'fail' } : numeric(t, d);
}

/** Cosine and |Δ| leave NaN/Inf pairs out: say so next to the number. */
const finiteOnly = (t: string, o: OutputMetrics): string => (o.similarity?.nonFinite ? `${t} (NaN/Inf left out)` : t);

function pdCell(pd: NonNullable<OutputMetrics['pd']>, o: OutputMetrics, bo?: OutputMetrics): Cell {
  const t = `${num(pd.value)} (${pd.network}: ${pd.tensor}${pd.brokenImages ? `; ${pd.brokenImages} image(s) with NaN/Inf left out` : ''})`;
  const verdict = o.psnr?.nonFinite || pd.brokenImages ? 'fail' : pd.verdict;
  return { ...numeric(t, bo?.pd && delta(pd.value, bo.pd.value, 'max')), ...(verdict ? { verdict } : {}) };
}

/** "pixel agreement 99.812 % (1046012/1048576)". */
export function agreementText(a: NonNullable<OutputMetrics['agreement']>): string {
  return `${a.unit === 'pixels' ? 'pixel' : 'exact'} agreement ${percent(a.value, 3)} (${a.equal}/${a.total})`;
}

/** Fields the output table shows in their own columns or words. */
const SHOWN_FIELDS = new Set(['name', 'dims', 'psnr', 'similarity', 'agreement', 'pd', 'classification', 'probabilityMap', 'segmentation']);

/** Any other metric result (one the report has no column for yet) as "ssim 0.981". */
function otherMetricsText(o: OutputMetrics): string[] {
  return Object.entries(o).flatMap(([field, r]) => {
    if (SHOWN_FIELDS.has(field) || typeof r !== 'object' || r === null || typeof r.metric !== 'string') return [];
    return [`${r.metric} ${typeof r.value === 'number' ? num(r.value) : 'undefined'}`];
  });
}

/** Per-output metrics of one variant. */
export function outputTable(v: VariantResult, baseline?: Results): Table {
  const b = findVariant(baseline, v.name);
  const rows = v.outputs.map((o): Cell[] => {
    const bo = findOutput(b, o.name);
    const pd = o.pd;
    const task = [
      o.classification && `top-1 agreement ${percent(o.classification.value, 3)} (${o.classification.agreed}/${o.classification.total})`,
      o.probabilityMap && `IoU@${o.probabilityMap.binarizeAt} ${num(o.probabilityMap.value, 4)}`,
      o.segmentation && `mIoU ${num(o.segmentation.miou, 4)} over ${o.segmentation.classes} classes, pixel agreement ${percent(o.segmentation.value, 3)}`,
      o.agreement && agreementText(o.agreement),
      ...otherMetricsText(o),
    ].filter(Boolean).join(', ');
    if (!o.psnr || !o.similarity) {
      // An integer output: exact agreement is its only metric (PSNR of labels means nothing).
      return [text(o.name), text(`[${o.dims.join('×')}]`), ...Array.from({ length: 6 }, () => numeric(DASH)), text(task || DASH)];
    }
    const [psnr, sim] = [o.psnr, o.similarity];
    const [bp, bs] = [bo?.psnr, bo?.similarity];
    return [
      text(o.name),
      text(`[${o.dims.join('×')}]`),
      broken(db(psnr.value) + (psnr.nonFinite ? ` (${psnr.nonFinite} NaN/Inf)` : ''), o, bp && delta(psnr.value, bp.value, 'min', ' dB')),
      broken(finiteOnly(num(sim.cosine.mean, 6), o), o, bs && delta(sim.cosine.mean, bs.cosine.mean, 'min')),
      broken(finiteOnly(num(sim.cosine.p5, 6), o), o, bs && delta(sim.cosine.p5, bs.cosine.p5, 'min')),
      broken(finiteOnly(num(sim.maxAbs), o), o, bs && delta(sim.maxAbs, bs.maxAbs, 'max')),
      broken(finiteOnly(num(sim.meanAbs), o), o, bs && delta(sim.meanAbs, bs.meanAbs, 'max')),
      pd ? pdCell(pd, o, bo) : numeric(DASH),
      text(task || DASH),
    ];
  });
  return { columns: ['Output', 'Shape', 'PSNR', 'Cosine mean', 'Cosine p5', 'Max |Δ|', 'Mean |Δ|', 'PD', 'Task'], rows };
}

/** "yolox: output, score ≥ 0.1, NMS IoU 0.45" (results older than head decoders name boxes + scores). */
function decodingText(d: NonNullable<VariantResult['detection']>): string {
  const detector = d.detector ?? 'boxes-scores';
  const outputs = (d.outputs ?? [d.boxes, d.scores]).join(' + ');
  return `${detector}: ${outputs}${detector === 'boxes-scores' ? `, ${d.boxFormat}` : ''}, score ≥ ${d.scoreThreshold}, NMS IoU ${d.nmsIou}`;
}

/** Detection metrics per variant (when the task is detection). */
export function detectionTable(results: Results, baseline?: Results): Table | undefined {
  const withDetection = results.variants.filter((v) => v.detection);
  if (!withDetection.length) return undefined;
  const rows = withDetection.map((v): Cell[] => {
    const d = v.detection!;
    const b = findVariant(baseline, v.name)?.detection;
    return [
      text(v.name),
      numeric(d.f1 ? (d.f1.value === null ? `undefined (${d.f1.undefinedReason})` : num(d.f1.value, 4)) : DASH, d.f1?.value != null && b?.f1?.value != null ? delta(d.f1.value, b.f1.value, 'min') : undefined),
      numeric(d.f1 ? `${d.f1.truePositives} / ${d.f1.falsePositives} / ${d.f1.falseNegatives}` : DASH),
      numeric(d.ap ? num(d.ap.value, 4) : DASH, d.ap?.value != null && b?.ap?.value != null ? delta(d.ap.value, b.ap.value, 'min') : undefined),
      text(decodingText(d)),
    ];
  });
  return { columns: ['Variant', 'F1 vs reference (IoU 0.5)', 'TP / FP / FN', 'AP@0.5 vs ground truth', 'Decoding'], rows };
}

export function latencyTable(results: Results, baseline?: Results): Table {
  const rows = results.variants.map((v): Cell[] => {
    const l = v.latency;
    const b = findVariant(baseline, v.name)?.latency;
    return [
      text(v.name + (v.device === 'gpu' ? ' (GPU, CUDA events)' : '') + (l.emulated ? ` (${v.precision} emulated on CPU)` : '')),
      numeric(ms(l.p50), b && delta(l.p50, b.p50, 'max', ' ms')),
      numeric(ms(l.p90), b && delta(l.p90, b.p90, 'max', ' ms')),
      numeric(ms(l.p99), b && delta(l.p99, b.p99, 'max', ' ms')),
      numeric(ms(l.mean)),
      numeric(num(l.imagesPerSecond, 4), b && delta(l.imagesPerSecond, b.imagesPerSecond, 'min')),
      numeric(times(v.verdict.speedup)),
      text(v.name === results.reference ? 'reference' : notQuantizedText(v) ? `${times(v.verdict.speedup)} — ${notQuantizedText(v)}: no speed claim` : speedPhrase(v.verdict.speed, v.verdict.speedup)),
      numeric(ms(l.mad)),
      numeric(String(l.count)),
    ];
  });
  return { columns: ['Variant', 'p50', 'p90', 'p99', 'Mean', 'Images/s', 'Speed-up', 'Speed vs reference', 'MAD', 'Runs'], rows };
}

export function worstImagesTable(results: Results): Table {
  const rows = results.variants.flatMap((v) => v.worstImages.map((w): Cell[] => [
    text(v.name),
    text(w.file),
    text(w.output),
    numeric(db(w.psnr)),
    numeric(w.pd === undefined ? DASH : num(w.pd)),
    w.thumbnails ? { text: 'reference | test', images: w.thumbnails } : text(DASH),
  ]));
  return { columns: ['Variant', 'Image', 'Output', 'PSNR', 'PD', 'Reference vs test'], rows };
}

/** Calibrated tensors, most clipping first (ties: calibration order); `limit` rows at most. */
export function calibrationTable(summary: CalibrationSummary, limit = Infinity): Table {
  const order = summary.tensors.map((t, i) => ({ t, i })).sort((a, b) => b.t.fractionClipped - a.t.fractionClipped || a.i - b.i);
  const rows = order.slice(0, limit).map(({ t }): Cell[] => [
    text(t.name),
    numeric(num(t.amax)),
    numeric(num(t.scale)),
    numeric(percent(t.fractionClipped)),
    numeric(num(t.absMax)),
    text(t.calibrator),
    text([...t.flags, t.nanCount ? `${t.nanCount} NaN` : '', t.infCount ? `${t.infCount} Inf` : ''].filter(Boolean).join(', ') || DASH),
  ]);
  return { columns: ['Tensor', 'amax', 'Scale', 'Clipped', 'max |x|', 'Calibrator', 'Notes'], rows };
}

export function environmentTable(results: Results): Table {
  const e = results.environment;
  const ev = results.evaluation;
  const pairs: [string, string][] = [
    ['Model', results.model.source],
    ['Input / preprocessing', `${results.input}: ${results.preprocessing}`],
    ['Evaluation images', `${ev.images.length} from ${ev.data}`],
    ['Task', ev.task],
    ['Latency runs', `${ev.iterations} per variant after ${ev.warmup} warm-up, batch ${ev.batchSize}, variants interleaved`],
    ['PD network', ev.pd ? `${ev.pd.network} (${ev.pd.model}), tensor ${ev.pd.tensor}, ${ev.pd.threshold === undefined ? 'no threshold' : `threshold ${ev.pd.threshold} — ${ev.pd.thresholdSource ?? 'source not recorded'}`}` : DASH],
    ['Gates (--fail-on)', ev.gates.map((g) => g.expression).join(', ') || DASH],
    ['CPU', `${e.cpu} (${e.cores} logical cores), ${e.threads === 0 ? 'all' : e.threads} threads`],
    ['Platform', `${e.platform} ${e.arch}, Node ${e.node}, ONNX Runtime ${e.onnxruntime} (${e.backend}), int8cal ${e.int8cal}`],
    ['Run', `${results.run}, ${results.createdAt}`],
  ];
  return { columns: ['', ''], rows: pairs.map(([k, v]) => [text(k), text(v)]) };
}

/** Which images chose (auto's calibrator check, tune) and which judged: the results are on held-out images only. */
export function choiceNote(results: Results): string | undefined {
  const c = results.evaluation.choice;
  if (!c) return undefined;
  const judged = `Judged on ${results.evaluation.images.length} images`;
  const held = c.heldOut.length ? `; the ${c.heldOut.length} of them in this folder are held out of the judgement (${c.heldOut.join(', ')})` : '; none of them is among the judged images';
  const leak = c.notHeldOut ? ` — ${c.notHeldOut} chosen-on tensor samples are judged too (a tensor file is evaluated whole), so those results are optimistic` : '';
  return `${judged}. Chosen on ${c.images} images by the ${c.by.join(' and ')} (${c.data.join(', ')})${held}${leak}.`;
}
