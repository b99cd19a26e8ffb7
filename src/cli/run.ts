import type { Command } from 'commander';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../pipeline/run.js';
import { Int8calError } from '../core/errors.js';
import { EXIT, action, addOptions } from './action.js';
import { metricsText, tuneFlags } from './tune.js';
import { cliContext } from './context.js';
import { evaluateFlags, exitCodeOf, summary } from './evaluate.js';
import { preprocessingFlags } from './preprocessing-flags.js';
import { repoRoot } from './repo-root.js';
import type { Results } from '../../reports/results-schema.js';

/**
 * `int8cal run` with no model: the bundled sample job — the UltraFace-style face detector,
 * calibrated on face photos and evaluated on dlib's people photos against their face boxes.
 */
export function demoOptions(): Partial<RunOptions> {
  const samples = join(repoRoot, 'datasets', 'samples');
  return {
    model: join(repoRoot, 'datasets', 'models', 'fr_detect.onnx'),
    data: join(samples, 'faces', 'calibration'),
    evalData: join(samples, 'people', 'evaluation'),
    groundTruth: join(samples, 'people', 'faces.json'),
    out: join(repoRoot, 'runs', 'demo'),
    resize: 'stretch', mean: 127, std: 128, scale: 1,
    scoreThreshold: 0.7, nmsIou: 0.4,
  };
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('calibrate, build, evaluate and report in one go; prints the report\'s path.\n' +
      'Without --model: the bundled sample job (fr_detect on the sample face photos; `npm run datasets` first)');
  addOptions(command, ['model', 'data', 'evalData', 'out', 'input', ...preprocessingFlags, 'calibrator', 'percentile', 'batchSize', 'histogram',
    'trtVersion', 'cacheHeader', 'maxActivationMemory', 'precisions', 'target', 'exclude', 'perTensorWeights', 'ortWeightBits', 'allowLowCoverage', 'trtEngines', 'trtScales', 'trtOptimizationLevel', 'trtPrecisionConstraints', 'trtConstantScales', 'trtQdqFp16', 'trtTimingCache', ...evaluateFlags, ...tuneFlags, 'calibratorCheck', 'baseline', 'baselineForce', 'quiet']);
  command.action(action(async (flags: Record<string, any>) => {
    const options = { ...(flags.model ? {} : demoOptions()), ...flags } as RunOptions;
    if (!options.model || !options.data || !options.evalData || !options.out) {
      throw new Int8calError('MISSING_OPTION', 'run needs --model, --data, --eval-data and --out', { hint: 'or no --model at all for the bundled sample job' });
    }
    const ctx = cliContext(flags);
    try {
      const { results, report } = await runPipeline({ ...options, ...ctx.callbacks });
      const target = results.accuracyTarget!;
      const verdicts = target.variants.map((v) => `${v.name} ${v.meets ? 'meets' : 'misses'} it (${metricsText(v.metrics)})`);
      ctx.print(`${summary(results)}${checkText(results)}\naccuracy target ${target.expression} (${target.source}): ${verdicts.join('; ')}\nreport: ${report.html}`);
      const tuned = results.variants.filter((v) => v.name.endsWith('-tuned'));
      const missed = options.accuracyTarget && tuned.some((v) => !target.variants.find((t) => t.name === v.name)?.meets);
      return missed ? EXIT.gateFailed : exitCodeOf(results);
    } finally {
      ctx.close();
    }
  }));
}

/** One line on auto's calibrator check: what it kept, on how many images, and how firmly. */
function checkText(results: Results): string {
  const c = results.calibration?.auto?.confirmed;
  if (!c) return '';
  const r = c.runnerUp;
  const how = c.crossFit ? `, cross-fit among ${c.crossFit.tied.join(', ')}` : '';
  return `\ncalibrator check (${c.images} images${how}): kept ${c.kept}${r ? `; runner-up ${r.calibrator}, the kept one higher on ${r.psnrWins} of ${r.images} images` : ''}`;
}
