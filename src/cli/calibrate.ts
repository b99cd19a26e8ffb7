import type { Command } from 'commander';
import { calibrate } from '../pipeline/calibrate.js';
import { recalibrate } from '../pipeline/recalibrate.js';
import { Int8calError } from '../core/errors.js';
import type { CalibrationResult, TensorCalibration, TensorFlag } from '../run/schema.js';
import { action, addOptions } from './action.js';
import { preprocessingFlags } from './preprocessing-flags.js';
import { cliContext } from './context.js';

/** What each calibration.json flag means for the user. */
const FLAG_NOTES: Partial<Record<TensorFlag, (t: TensorCalibration) => string>> = {
  'heavy-clipping': (t) => `${t.calibrator} clips ${(t.fractionClipped * 100).toFixed(1)}% of its values (amax ${t.amax.toPrecision(3)}, max |x| ${t.absMax.toPrecision(3)}); ` +
    'try --from-histograms with --calibrator percentile or minmax, or keep its node in float with build --exclude',
  'all-zero': () => 'always zero: given the smallest positive scale',
  'nan-or-inf': (t) => `${t.nanCount} NaN and ${t.infCount} Inf values, excluded from the histogram`,
};

const CALIBRATE_HELP = `
Calibrators (all computed from the same histograms, so --from-histograms can sweep them without inference):
  auto        (default) per tensor, whichever of the others (percentile at 99.9, 99.99, 99.999) loses the
              least signal to int8 (highest expected SQNR from the histogram); calibration.json says
              which won each tensor and why. run/tune also check it per model on the evaluation images
  entropy2    TensorRT's EntropyCalibration2: the threshold with minimal KL divergence; with
              --histogram trt it reproduces TensorRT 10.6's own scales
  minmax      exact max |x|: no clipping, coarser resolution
  percentile  the --percentile of |x|
  mse         minimal mean squared quantization error

TensorRT cache header: TensorRT ignores a cache whose version or algorithm differs from its own and
recalibrates; trtexec --calib only accepts EntropyCalibration2. So the header says
TRT-<--trt-version>-<--cache-header> whatever the calibrator; calibration.json records the one used.

Examples:
  int8cal calibrate --model m.onnx --data ./imgs --out run/
  int8cal calibrate --from-histograms run/ --calibrator percentile --percentile 99.9 --out run-p999/
  int8cal calibrate --model m.onnx --cache trt.cache --out run/
  int8cal calibrate --model m.onnx --data ./imgs --shard 2/4 --out shard2/   (then: int8cal merge-histograms)`;

export function registerCalibrate(program: Command): void {
  const command = program
    .command('calibrate')
    .description('run the model on calibration images, histogram every float activation and choose int8 scales;\n' +
      'writes RUN/run.json, model.fp32.onnx, histograms.bin, calibration.json and calibration.cache (TensorRT)')
    .addHelpText('after', CALIBRATE_HELP);
  addOptions(command, ['model', 'data', 'out', 'input', ...preprocessingFlags, 'calibrator', 'percentile', 'batchSize', 'maxImages',
    'histogram', 'shard', 'cache', 'fromHistograms', 'trtVersion', 'cacheHeader', 'maxActivationMemory', 'threads', 'skipBadImages', 'quiet', 'json']);
  command.action(action(async (flags: Record<string, any>) => {
    if (!flags.out) throw new Int8calError('MISSING_OPTION', 'calibrate needs --out RUN', { hint: 'the run directory to write' });
    const ctx = cliContext(flags);
    try {
      if (flags.fromHistograms) {
        const calibration = await recalibrate({ ...flags, from: flags.fromHistograms, out: flags.out });
        ctx.print(flags.json ? calibration : [`recomputed ${Object.keys(calibration.tensors).length} tensor scales with ${calibration.calibrator} → ${flags.out}`, ...autoLines(calibration)].join('\n'));
        return;
      }
      if (!flags.model) throw new Int8calError('MISSING_OPTION', 'calibrate needs --model FILE (or --from-histograms RUN)', { hint: 'the fp32 ONNX model to calibrate' });
      const summary = await calibrate({ ...flags, model: flags.model, out: flags.out, ...ctx.callbacks });
      if (summary.shard) {
        ctx.print(flags.json ? { shard: summary.shard, images: summary.images } : shardText(summary));
        return;
      }
      ctx.print(flags.json ? summary.calibration : calibratedText(summary));
    } finally {
      ctx.close();
    }
  }));
}

type CalibrateSummary = Awaited<ReturnType<typeof calibrate>>;

function shardText(summary: CalibrateSummary): string {
  const { index, count, totalImages } = summary.shard!;
  return [
    `histogrammed shard ${index}/${count}: ${summary.images} of ${totalImages} images (partial histograms, no scales yet)`,
    ...summary.skipped.map((s) => `skipped ${s.file}: ${s.reason}`),
    `wrote ${summary.runDir}; merge all ${count} shards with: int8cal merge-histograms SHARD… --out RUN`,
  ].join('\n');
}

function calibratedText(summary: CalibrateSummary): string {
  const flagged = Object.entries(summary.calibration.tensors).filter(([, t]) => t.flags.length);
  return [
    `calibrated ${Object.keys(summary.calibration.tensors).length} tensors on ${summary.images} images` +
      `${summary.passes > 1 ? ` in ${summary.passes} passes (--max-activation-memory)` : ''} with ${summary.calibration.calibrator}`,
    ...autoLines(summary.calibration),
    ...summary.skipped.map((s) => `skipped ${s.file}: ${s.reason}`),
    ...flagged.map(([name, t]) => `note: ${name}: ${t.flags.map((f) => FLAG_NOTES[f]?.(t) ?? f).join('; ')}`),
    `wrote ${summary.runDir}`,
  ].join('\n');
}

/** What auto chose: tensors per candidate, and the rule. */
export function autoLines(calibration: CalibrationResult): string[] {
  if (!calibration.auto) return [];
  const won = Object.entries(calibration.auto.chosen).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`);
  return [`auto chose per tensor: ${won.join(', ')} (${calibration.auto.criterion})`];
}
