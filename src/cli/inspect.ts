import type { Command } from 'commander';
import { inspect, type InspectReport } from '../pipeline/inspect.js';
import { action, addOptions } from './action.js';
import { preprocessingFlags } from './preprocessing-flags.js';
import { printable } from './printable.js';

export function registerInspect(program: Command): void {
  const command = program
    .command('inspect')
    .argument('<model>', 'ONNX model file')
    .description('show a model\'s inputs, outputs, opset, op types, parameter size and the preprocessing int8cal would infer');
  addOptions(command, ['json', 'input', ...preprocessingFlags]);
  command.action(action(async (model: string, flags: Record<string, unknown>) => {
    const report = await inspect(model, flags);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : printable(render(report)));
  }));
}

function render(r: InspectReport): string {
  const shape = (dims: readonly unknown[]) => `[${dims.map((d) => d ?? '?').join(', ')}]`;
  const lines = [
    `model       ${r.file}`,
    `ir version  ${r.irVersion}    opset ${Object.entries(r.opsets).map(([d, v]) => `${d || 'ai.onnx'}:${v}`).join(', ')}    producer ${r.producer || '-'}`,
    `parameters  ${(r.parameterBytes / 1e6).toFixed(2)} MB    nodes ${r.nodeCount}`,
    'inputs',
    ...r.inputs.map((t) => `  ${t.name}  ${t.elementType} ${shape(t.dims)}`),
    'outputs',
    ...r.outputs.map((t) => `  ${t.name}  ${t.elementType} ${shape(t.dims)}`),
    'op types',
    ...Object.entries(r.opTypes).map(([op, n]) => `  ${op.padEnd(24)} ${n}`),
    'preprocessing',
    'error' in r.preprocessing
      ? `  cannot infer: ${r.preprocessing.error}${r.preprocessing.hint ? `\n  hint: ${r.preprocessing.hint}` : ''}`
      : `  ${r.preprocessing.input}: ${r.preprocessing.description}`,
    `  preset ${r.preprocessing.preset.preset}: ${r.preprocessing.preset.reason}`,
    ...(r.detector ? ['detector (guessed from the output shapes)', `  ${r.detector.detector}: ${r.detector.reason}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
