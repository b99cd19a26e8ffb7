import type { Section } from '../blocks.js';
import type { Results } from '../results-schema.js';
import { worstImagesTable } from '../view.js';

/** The images each variant gets most wrong (absent when there are none). */
export function worstImagesSection(results: Results): Section | undefined {
  const worst = worstImagesTable(results);
  if (!worst.rows.length) return undefined;
  return {
    id: 'worst', title: 'Worst images', blocks: [
      { kind: 'paragraph', text: 'Lowest per-image PSNR first (same peak as the pooled PSNR).' },
      { kind: 'table', table: worst },
    ],
  };
}
