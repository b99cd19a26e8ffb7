import type { Command } from 'commander';
import { Int8calError } from '../core/errors.js';
import { mergeHistograms } from '../pipeline/merge-histograms.js';
import { action, addOptions } from './action.js';
import { cliContext } from './context.js';

export function registerMergeHistograms(program: Command): void {
  const command = program
    .command('merge-histograms')
    .argument('<shards...>', 'the run directories written by `calibrate --shard i/n`, all n of them')
    .description('sum the partial histograms of shard runs (`calibrate --shard i/n`) into one complete run;\n' +
      'its histograms.bin, calibration.json and calibration.cache equal an unsharded calibration\'s, byte for byte')
    .addHelpText('after', `
Examples (one process per shard, on one machine or many; then one merge):
  int8cal calibrate --model m.onnx --data ./imgs --shard 1/3 --out shard1/
  int8cal calibrate --model m.onnx --data ./imgs --shard 2/3 --out shard2/
  int8cal calibrate --model m.onnx --data ./imgs --shard 3/3 --out shard3/
  int8cal merge-histograms shard1/ shard2/ shard3/ --out run/`);
  addOptions(command, ['out', 'trtVersion', 'cacheHeader', 'quiet', 'json']);
  command.action(action(async (shards: string[], flags: Record<string, any>) => {
    if (!flags.out) throw new Int8calError('MISSING_OPTION', 'merge-histograms needs --out RUN', { hint: 'the run directory to write' });
    const ctx = cliContext(flags);
    try {
      const summary = await mergeHistograms({ runs: shards, out: flags.out, trtVersion: flags.trtVersion, cacheHeader: flags.cacheHeader });
      ctx.print(flags.json ? summary.calibration
        : `merged ${summary.shards} shards: ${Object.keys(summary.calibration.tensors).length} tensors on ${summary.images} images with ${summary.calibration.calibrator}\nwrote ${summary.runDir}`);
    } finally {
      ctx.close();
    }
  }));
}
