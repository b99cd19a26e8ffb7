import type { Command } from 'commander';
import { tune, type TuneResult } from '../pipeline/tune/index.js';
import type { JsonMetrics } from '../pipeline/tune/accuracy-target.js';
import { EXIT, action, addOptions } from './action.js';
import { cliContext } from './context.js';
import { PLACEMENT_NAMES, placementOf } from '../onnx/qdq/index.js';

export const tuneFlags = ['accuracyTarget', 'maxEvaluations', 'tuneImages', 'tuneIterations'] as const;

export function registerTune(program: Command): void {
  const command = program
    .command('tune')
    .description('keep the most sensitive nodes in higher precision until an accuracy target holds; every step a real\n' +
      `Q/DQ model scored on evaluation images → RUN/tune.json, ${PLACEMENT_NAMES.map((n) => placementOf(n).tunedRunFile).join(', ')}`)
    .addHelpText('after', `
Nodes are ranked output-referred: the target metric of "all int8 but this node" on the first two tune
images (one run per node). Then a greedy search with real evaluations on the tune images: each round
tries the top 2 remaining nodes and a bulk of the next max(3, |float|), takes the best move only if it
raises the metric on the tune images and, on the run's first 8 calibration images (the check set: on a
few tune images the best move is mostly luck), raises it too while they miss the target or keeps them at
it; once the target holds, it returns each float node to int8 if the target still holds (pruning).
--max-evaluations bounds the evaluations on the tune images. The first --tune-images images of --data
choose; evaluate holds them out of its judgement (choose on images you don't judge on). TensorRT
placement: a float node has no Q/DQ (TensorRT runs it in fp16), latency "n/a (TensorRT engine needed)"
on CPU; ort-cpu: the node runs in float, latency measured against fp32.
Exit 2 when the target is not reached (the best point found is written and printed).

Examples:
  int8cal tune --run run/ --data ./eval --accuracy-target "psnr>=30"
  int8cal tune --run run/ --data ./eval --accuracy-target "f1>=0.95,cosine>=0.99" --target ort-cpu`);
  addOptions(command, ['run', 'data', ...tuneFlags, 'target', 'task', 'boxes', 'scores', 'boxFormat', 'scoreThreshold', 'nmsIou', 'pdModel',
    'perTensorWeights', 'ortWeightBits', 'threads', 'quiet', 'json'], ['run', 'data', 'accuracyTarget']);
  command.action(action(async (flags: Record<string, any>) => {
    const ctx = cliContext(flags);
    try {
      const result = await tune({ ...flags, run: flags.run, data: flags.data, accuracyTarget: flags.accuracyTarget, targets: flags.target, ...ctx.callbacks });
      ctx.print(flags.json ? result : tuneSummary(result));
      return tuneExitCode(result);
    } finally {
      ctx.close();
    }
  }));
}

export const tuneExitCode = (result: TuneResult): number => (result.placements.every((p) => p.reached) ? 0 : EXIT.gateFailed);

export const metricsText = (m: JsonMetrics): string =>
  Object.entries(m).map(([k, v]) => `${k} ${typeof v !== 'number' ? (v === 'inf' ? '∞' : '−∞') : k === 'psnr' ? `${v.toFixed(1)} dB` : v.toFixed(3)}`).join(', ');

/** One paragraph per placement: reached or not, nodes moved, metric, latency, evaluations spent. */
export function tuneSummary(result: TuneResult): string {
  const lines = [`target ${result.target.expression} (${result.target.source}) on ${result.images} evaluation images`];
  for (const p of result.placements) {
    const s = p.steps[p.chosen]!;
    const latency = s.latencyRatio === null ? s.latencyNote ?? 'n/a' : `${s.latencyRatio.toFixed(2)}× fp32 latency`;
    const start = metricsText(p.steps[0]!.metrics);
    lines.push(p.reached
      ? `${p.variant}: reached with ${s.floatNodes.length} of ${p.quantizedNodes} nodes in float (${metricsText(s.metrics)}; all int8: ${start}), ${latency}`
      : `${p.variant}: target NOT reached within ${p.evaluations} evaluations; best point: ${s.floatNodes.length} of ${p.quantizedNodes} nodes in float, ${metricsText(s.metrics)}, ${latency}` +
        (p.fp16 ? `; fp16 ${p.fp16.meetsTarget ? 'meets it' : 'does not meet it either'} (${metricsText(p.fp16.metrics)})` : ''));
    if (s.floatNodes.length) lines.push(`  float: ${s.floatNodes.join(', ')}`);
    if (p.steps.some((x) => x.phase === 'bulk')) lines.push('  greedy growth stalled short of the target, so tune also tried float sets of the nodes most harmful alone in int8 (bulk steps)');
    lines.push(`  ${p.evaluations} evaluations + ${p.estimateRuns} sensitivity runs (keeping one node float at a time over all nodes would take ${p.quantizedNodes} evaluations); wrote ${p.file}`);
  }
  return lines.join('\n');
}
