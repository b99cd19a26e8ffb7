import { invalidParameter } from '../../../core/errors.js';
import { ortCpuPlacement } from './ort-cpu.js';
import type { QdqPlacement } from './placement.js';
import { tensorRtPlacement } from './tensorrt.js';

export type { QdqPlacement } from './placement.js';

/** Every Q/DQ placement by `--target` name: a new one is its file and a line here. */
const PLACEMENTS: Record<string, QdqPlacement> = {
  tensorrt: tensorRtPlacement,
  'ort-cpu': ortCpuPlacement,
};

export const PLACEMENT_NAMES = Object.keys(PLACEMENTS);

export function placementOf(name: string): QdqPlacement {
  const placement = PLACEMENTS[name];
  if (!placement) throw invalidParameter('placement', PLACEMENT_NAMES.join(' or '), name);
  return placement;
}
