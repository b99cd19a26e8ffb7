import { availableParallelism } from 'node:os';
import type { WarningCallback } from '../core/progress.js';

/**
 * Intra-op threads actually used: more threads than cores only thrash the machine (1000 threads
 * brought a 2-core machine to a load of 670), so a request above the core count is capped, with
 * a warning. 0 stays 0 (the engine's default: one per core).
 */
export function capThreads(requested: number, onWarning?: WarningCallback): number {
  const cores = availableParallelism();
  if (requested <= cores) return requested;
  onWarning?.(`--threads ${requested} is more than the ${cores} core(s) of this machine; using ${cores}`);
  return cores;
}
