import type { Results } from '../results-schema.js';

export interface RenderOptions {
  /** An earlier run's results: every metric shows its change since then. */
  baseline?: Results;
  /** Calibration rows shown before the rest are folded away. */
  calibrationRows?: number;
}
