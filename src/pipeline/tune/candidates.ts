import { AUTO_CANDIDATES } from '../../../calibrators/auto.js';

/** What run's check of `--calibrator auto` compares: the per-tensor choice, then each single calibrator (ties keep the earlier). */
export const CONFIRM_CANDIDATES = ['auto (per tensor)', ...AUTO_CANDIDATES] as const;
export type ConfirmCandidate = (typeof CONFIRM_CANDIDATES)[number];
