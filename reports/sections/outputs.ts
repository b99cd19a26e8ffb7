import type { Block, Section } from '../blocks.js';
import type { Results } from '../results-schema.js';
import { detectionTable, outputTable } from '../view.js';
import type { RenderOptions } from './options.js';

/** Per-output metrics of each variant against the reference, and detection matching. */
export function outputsSection(results: Results, { baseline }: RenderOptions): Section {
  const blocks: Block[] = results.variants.filter((v) => v.outputs.length).flatMap((v): Block[] => [
    { kind: 'heading', text: `${v.name} vs ${results.reference}`, note: v.modelFile },
    { kind: 'table', table: outputTable(v, baseline) },
  ]);
  if (!blocks.length) blocks.push({ kind: 'paragraph', text: 'No variant besides the reference.' });
  const detection = detectionTable(results, baseline);
  if (detection) blocks.push({ kind: 'heading', text: 'Detection' }, { kind: 'table', table: detection });
  return { id: 'outputs', title: 'Per-output metrics', blocks };
}
