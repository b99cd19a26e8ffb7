import type { Results } from '../results-schema.js';

export interface RenderOptions {
  /** An earlier run's results: every metric shows its change since then. */
  baseline?: Results;
  /** Said next to the baseline's deltas: another model, a forced comparison (reports/baseline.ts). */
  baselineNotes?: readonly string[];
  /** Calibration rows shown before the rest are folded away. */
  calibrationRows?: number;
}
