import { notQuantizedText } from '../../reports/view.js';
import type { Command } from 'commander';
import { evaluate } from '../pipeline/evaluate/index.js';
import type { Results } from '../../reports/results-schema.js';
import { fromDecibels } from '../metrics/psnr.js';
import { speedPhrase } from '../../reports/format.js';
import { failedGateChecks } from '../pipeline/gates.js';
import { checkText, engineLayersText, targetVerdictOf } from '../../reports/view.js';
import { EXIT, action, addOptions } from './action.js';
import { cliContext } from './context.js';

export const evaluateFlags = ['variants', 'maxImages', 'batchSize', 'iterations', 'task', 'detector', 'classes', 'boxes', 'scores', 'boxFormat', 'scoreThreshold', 'nmsIou',
  'groundTruth', 'classFolders', 'mapThreshold', 'pdModel', 'pdTensor', 'pdThreshold', 'failOn', 'threads', 'skipBadImages', 'engine', 'cudaGraph'] as const;

export function registerEvaluate(program: Command): void {
  const command = program
    .command('evaluate')
    .description('run fp32, fp16 and int8 side by side on the same evaluation images; score every output against fp32\n' +
      '(PSNR, cosine, max |Δ|, perceptual distance, task metrics) and time them interleaved → RUN/results.json')
    .addHelpText('after', `
Preprocessing comes from RUN/run.json, so evaluation feeds exactly what calibration fed.
PSNR pools the squared error over all images with peak = max |fp32| over the set.
PD is the L2 distance between feature-network embeddings of the fp32 and test outputs, for image-like
outputs; it has a verdict only where the network has a threshold (--pd-threshold sets one).
fp16 runs emulated on CPU (Casts to fp32), and the TensorRT placement's int8 models run as fake
quantization in float (TensorRT fuses them into int8 kernels): their latency is labelled "emulated".

Examples:
  int8cal evaluate --run run/ --data ./eval
  int8cal evaluate --run run/ --data ./eval --fail-on "psnr<30,top1<0.95"     # exit 2 when a gate fails`);
  addOptions(command, ['run', 'data', ...evaluateFlags, 'quiet', 'json'], ['run', 'data']);
  command.action(action(async (flags: Record<string, any>) => {
    const ctx = cliContext(flags);
    try {
      const results = await evaluate({ ...flags, run: flags.run, data: flags.data, ...ctx.callbacks });
      ctx.print(flags.json ? results : summary(results));
      return exitCodeOf(results);
    } finally {
      ctx.close();
    }
  }));
}

/** Exit code for CI: non-zero exactly when a --fail-on gate failed or could not be evaluated. */
export function exitCodeOf(results: Results): number {
  return gateFailures(results).length ? EXIT.gateFailed : 0;
}

/** Why the gates failed, one line each: failed checks, and variants the gates could not be checked on. */
export function gateFailures(results: Results): string[] {
  const failed = failedGateChecks(results.variants).map(({ variant, check }) => `${variant}: ${checkText(check)} [${check.source}]`);
  const gates = results.evaluation.gates.map((g) => g.expression).join(',');
  const skipped = gates ? (results.evaluation.skipped ?? []).map((s) => `${s.variant}: --fail-on ${gates} could not be evaluated: ${s.reason}`) : [];
  return [...failed, ...skipped];
}

/** The worst PSNR over a variant's outputs, e.g. "PSNR 31.2 dB", "PSNR −∞ (1234 NaN/Inf)". */
function worstPsnrText(v: Results['variants'][number]): string {
  const agreements = v.outputs.flatMap((o) => (o.agreement ? [o.agreement] : []));
  const agreementText = agreements.length ? `${agreements.map((a) => `${a.unit === 'pixels' ? 'pixel' : 'exact'} agreement ${(100 * a.value).toFixed(4)} %`).join(', ')}` : '';
  if (agreements.length === v.outputs.length && agreements.length > 0) return agreementText;
  const psnrs = v.outputs.flatMap((o) => (o.psnr ? [fromDecibels(o.psnr.value)] : []));
  const worst = psnrs.length ? Math.min(...psnrs) : Infinity;
  const nonFinite = v.outputs.reduce((n, o) => n + (o.psnr?.nonFinite ?? 0), 0);
  if (notQuantizedText(v) && worst === Infinity) return 'PSNR: same as fp32 (not quantized)';
  const text = worst === Infinity ? '∞' : worst === -Infinity ? '−∞' : `${worst.toFixed(1)} dB`;
  return `PSNR ${text}${nonFinite ? ` (${nonFinite} NaN/Inf)` : ''}${agreementText ? `, ${agreementText}` : ''}`;
}

/** One line per variant: verdict, worst PSNR, speed-up. */
export function summary(results: Results): string {
  const lines = results.variants.map((v) => {
    const notQuantized = notQuantizedText(v);
    if (notQuantized) return `${v.name.padEnd(9)} ${notQuantized}  ${worstPsnrText(v)}  p50 ${v.latency.p50.toFixed(1)} ms (mostly fp32: no speed claim)`;
    const psnr = v.name === results.reference ? 'reference' : worstPsnrText(v);
    const failed = v.verdict.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.metric}${c.output ? `(${c.output})` : ''}`);
    const ms = v.latency.p50 < 1 ? v.latency.p50.toFixed(3) : v.latency.p50.toFixed(1);
    const speed = v.name === results.reference || v.name === 'trt-fp32' ? '' : `  ${speedPhrase(v.verdict.speed, v.verdict.speedup)}${v.device === 'gpu' ? ' (GPU, vs trt-fp32)' : ''}`;
    const layers = engineLayersText(v);
    // Ungated variants are judged by the run's accuracy target (run writes one); "—": nothing judged it.
    const target = v.name === results.reference ? undefined : targetVerdictOf(results, v);
    const word = v.name === results.reference ? '' : target ? (target.meets ? 'meets' : 'misses') : v.verdict.verdict === 'none' ? '—' : v.verdict.verdict;
    return `${v.name.padEnd(12)} ${word.padEnd(6)} ${psnr.padEnd(16)} p50 ${ms} ms${v.device === 'gpu' ? ' GPU' : ''}${v.latency.emulated ? ' (emulated)' : ''}${speed}${layers ? `  (${layers})` : ''}${failed.length ? `  failed: ${failed.join(', ')}` : ''}`;
  });
  const d = results.evaluation.detector;
  const head = d ? [`detector ${d.detector} (${d.guessed ? 'guessed from the output shapes' : '--detector'}): ${d.reason}`] : [];
  const gates = gateFailures(results).map((line) => `gate failed: ${line}`);
  return [...head, ...lines, ...gates, `wrote ${results.run}/results.json`].join('\n');
}
