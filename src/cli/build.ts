import type { Command } from 'commander';
import { build, type BuildResult, type Precision } from '../pipeline/build.js';
import { isLowCoverage, PLACEMENT_NAMES, placementOf, type Placement } from '../onnx/qdq/index.js';
import type { TrtBuildMode, TrtPrecisionConstraints, TrtScales } from '../core/tensorrt.js';
import { describeLayers } from '../pipeline/tensorrt-layers.js';
import type { EngineKind } from '../engines/registry.js';
import type { OrtWeightBitsChoice } from '../engines/ort-int8-kernels.js';
import { action, addOptions } from './action.js';
import { cliContext } from './context.js';

const PLACEMENTS = PLACEMENT_NAMES.map(placementOf);

export function registerBuild(program: Command): void {
  const command = program
    .command('build')
    .description('build the int8 Q/DQ models and the fp16 reference from a calibrated run;\nwrites into RUN:\n' +
      PLACEMENTS.map((p) => `  ${p.runFile} (${p.name} placement)\n`).join('') +
      '  model.fp16.onnx\n  build.json (what was quantized, what was kept float and why)')
    .addHelpText('after', `
Placements (--target):
${PLACEMENTS.map((p) => `  ${p.name.padEnd(8)}  ${p.description.replaceAll('\n', `\n${' '.repeat(12)}`)}`).join('\n')}

Examples:
  int8cal build --run run/
  int8cal build --run run/ --target ort-cpu --exclude /^head\\./ Softmax
  int8cal build --run run/ --cache trt.cache`);
  addOptions(command, ['run', 'precisions', 'target', 'exclude', 'perTensorWeights', 'ortWeightBits', 'allowLowCoverage', 'cache', 'engine', 'trtEngines', 'trtScales', 'trtOptimizationLevel', 'trtPrecisionConstraints', 'trtConstantScales', 'trtQdqFp16', 'trtTimingCache', 'quiet', 'json'], ['run']);
  command.action(action(async (flags: Record<string, unknown>) => {
    const ctx = cliContext(flags);
    try {
      const result = await build({
        run: flags.run as string,
        precisions: flags.precisions as Precision[],
        targets: flags.target as Placement[],
        exclude: flags.exclude as string[] | undefined,
        perTensorWeights: flags.perTensorWeights as boolean | undefined,
        ortWeightBits: flags.ortWeightBits as OrtWeightBitsChoice | undefined,
        cache: flags.cache as string | undefined,
        engine: flags.engine as EngineKind,
        trtEngines: flags.trtEngines as TrtBuildMode[],
        trtScales: flags.trtScales as TrtScales,
        trtOptimizationLevel: flags.trtOptimizationLevel as number,
        trtPrecisionConstraints: flags.trtPrecisionConstraints as TrtPrecisionConstraints | undefined,
        trtConstantScales: flags.trtConstantScales as boolean | undefined,
        trtQdqFp16: flags.trtQdqFp16 as boolean | undefined,
        trtTimingCache: flags.trtTimingCache as string | undefined,
        allowLowCoverage: flags.allowLowCoverage as boolean | undefined,
        ...ctx.callbacks,
      });
      ctx.print(flags.json ? result.buildJson : summary(result));
    } finally {
      ctx.close();
    }
  }));
}

/** Float compute ops listed by name in the summary (all of them are in build.json). */
const SHOWN_FLOAT_OPS = 10;

function summary(result: BuildResult): string {
  const lines = result.built.map((v) => {
    if (!v.report) return `${v.file}  fp16 weights, activations rounded to fp16 (CPU emulation)`;
    const c = v.report.counts;
    const byUser = v.report.excluded.filter((e) => e.excludedByUser).length;
    const { quantized, quantizable, float } = v.report.coverage;
    const low = isLowCoverage(v.report.coverage) ? ' — not quantized (--allow-low-coverage)' : '';
    const bits = v.options?.ortWeightBits ? ` (${v.options.ortWeightBits}-bit weights)` : '';
    return [`${v.file}  ${v.placement}${bits}: compute ops ${quantized} of ${quantizable} in int8${low}; ${c.quantizedNodes} nodes quantized, ${c.quantizedWeights} weights, ` +
      `${c.quantizeLinear} Q / ${c.dequantizeLinear} DQ; ${c.excludedNodes} kept float (${byUser} by --exclude)` +
      `${v.report.unscaled.length ? `, ${v.report.unscaled.length} tensors without a scale` : ''}`,
    ...float.slice(0, SHOWN_FLOAT_OPS).map((f) => `  float: ${f.node} (${f.opType}): ${f.reason}`),
    ...(float.length > SHOWN_FLOAT_OPS ? [`  … and ${float.length - SHOWN_FLOAT_OPS} more float compute ops (build.json: coverage.float)`] : [])].join('\n');
  });
  const trt = result.buildJson.tensorrt;
  const engines = trt ? Object.values(trt.engines).map((e) => `${e!.file}  TensorRT ${trt.version} on ${trt.gpu.name}: ${e!.mode}, built in ${(e!.buildMs / 1000).toFixed(1)} s` +
    `${e!.layers ? ` (${describeLayers(e!.layers)})` : ''}${e!.missingScales?.count ? `, ${e!.missingScales.count} tensors without a scale` : ''}`) : [];
  return [...lines, ...engines, `wrote ${result.runDir}/build.json`].join('\n');
}
