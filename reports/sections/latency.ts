import type { Section } from '../blocks.js';
import type { Results } from '../results-schema.js';
import { latencyTable } from '../view.js';
import type { RenderOptions } from './options.js';

export function latencySection(results: Results, { baseline }: RenderOptions): Section {
  return { id: 'latency', title: 'Latency', blocks: [{ kind: 'table', table: latencyTable(results, baseline) }] };
}
