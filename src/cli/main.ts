#!/usr/bin/env node
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { registerBuild } from './build.js';
import { registerCalibrate } from './calibrate.js';
import { registerEvaluate } from './evaluate.js';
import { registerInspect } from './inspect.js';
import { registerMergeHistograms } from './merge-histograms.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerTune } from './tune.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

const program = new Command('int8cal')
  .version(version)
  .description('INT8 post-training quantization for ONNX vision models: calibrate on your images, build\n' +
    'TensorRT Q/DQ and ONNX Runtime int8 models plus an fp16 reference, and compare them with fp32\n' +
    'on the same images (PSNR, perceptual distance, task metrics, latency).')
  .showHelpAfterError()
  .addHelpText('after', `
Pipeline:
  int8cal calibrate --model m.onnx --data ./imgs --out run/   histograms → scales → TensorRT cache
  int8cal build     --run run/                                int8 Q/DQ + fp16 models
  int8cal evaluate  --run run/ --data ./eval                  fp32 vs fp16 vs int8 on the same images
  int8cal report    --run run/                                HTML + Markdown accuracy report
  int8cal tune      --run run/ --data ./eval --accuracy-target "psnr>=30"   mixed precision to a target
  int8cal run --model m.onnx --data ./imgs --eval-data ./eval --out run/   all of the above
  int8cal calibrate … --shard i/n --out shardI/; int8cal merge-histograms shard1/ … --out run/   one process per shard`);

registerCalibrate(program);
registerBuild(program);
registerEvaluate(program);
registerReport(program);
registerRun(program);
registerMergeHistograms(program);
registerTune(program);
registerInspect(program);

await program.parseAsync(process.argv);
