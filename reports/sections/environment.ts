import type { Section } from '../blocks.js';
import type { Results } from '../results-schema.js';
import { environmentTable, findVariant } from '../view.js';
import type { RenderOptions } from './options.js';

export function environmentSection(results: Results, { baseline }: RenderOptions): Section {
  const missing = baseline && !results.variants.every((v) => findVariant(baseline, v.name));
  return {
    id: 'environment', title: 'Environment', blocks: [
      { kind: 'table', table: environmentTable(results) },
      ...(missing ? [{ kind: 'paragraph', text: 'Variants missing from the baseline show no change.' } as const] : []),
    ],
  };
}
