import { Int8calError } from '../src/errors.js';
import type { Calibrator, CalibratorOptions } from './calibrator.js';
import { EntropyCalibrator2, MinMaxCalibrator, MseCalibrator, PercentileCalibrator } from './image-calibrator.js';

const registry = {
  entropy2: EntropyCalibrator2,
  minmax: MinMaxCalibrator,
  percentile: PercentileCalibrator,
  mse: MseCalibrator,
} as const satisfies Record<string, new (options: CalibratorOptions) => Calibrator>;

export type CalibratorName = keyof typeof registry;
export const CALIBRATOR_NAMES = Object.keys(registry) as CalibratorName[];

export function createCalibrator(name: string, options: CalibratorOptions): Calibrator {
  const Class = registry[name as CalibratorName];
  if (!Class) {
    throw new Int8calError('UNKNOWN_CALIBRATOR', `Unknown calibrator "${name}"`, {
      hint: `choose one of ${CALIBRATOR_NAMES.join(', ')}`,
    });
  }
  return new Class(options);
}
