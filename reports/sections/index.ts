/**
 * The report's sections, in order: both renderers walk this one list. A new section is its
 * file and a line here.
 */
import type { Section } from '../blocks.js';
import type { Results } from '../results-schema.js';
import { calibrationSection } from './calibration.js';
import { environmentSection } from './environment.js';
import { latencySection } from './latency.js';
import type { RenderOptions } from './options.js';
import { outputsSection } from './outputs.js';
import { tradeoffSection } from './tradeoff.js';
import { tuneSection } from './tune.js';
import { verdictSection } from './verdict.js';
import { worstImagesSection } from './worst-images.js';

export type { RenderOptions } from './options.js';

const SECTIONS: readonly ((results: Results, options: RenderOptions) => Section | undefined)[] = [
  verdictSection,
  tradeoffSection,
  tuneSection,
  outputsSection,
  worstImagesSection,
  latencySection,
  calibrationSection,
  environmentSection,
];

export function reportSections(results: Results, options: RenderOptions = {}): Section[] {
  return SECTIONS.flatMap((make) => make(results, options) ?? []);
}
