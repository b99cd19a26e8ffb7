import { Int8calError } from '../src/core/errors.js';
import type { AmaxRule, AmaxRuleOptions } from './amax-rule.js';
import { Auto } from './auto.js';
import { Entropy2 } from './entropy2.js';
import { MinMax } from './minmax.js';
import { Mse } from './mse.js';
import { Percentile } from './percentile.js';

/** Every calibrator by name: a new one is its file and a line here. */
const registry = {
  auto: Auto,
  entropy2: Entropy2,
  minmax: MinMax,
  percentile: Percentile,
  mse: Mse,
} as const satisfies Record<string, new (options: AmaxRuleOptions) => AmaxRule>;

export type CalibratorName = keyof typeof registry;
export const CALIBRATOR_NAMES = Object.keys(registry) as CalibratorName[];

export function createAmaxRule(name: string, options: AmaxRuleOptions): AmaxRule {
  const Rule = registry[name as CalibratorName];
  if (!Rule) {
    throw new Int8calError('UNKNOWN_CALIBRATOR', `Unknown calibrator "${name}"`, {
      hint: `choose one of ${CALIBRATOR_NAMES.join(', ')}`,
    });
  }
  return new Rule(options);
}
