import type { Histogram } from '../src/core/native.js';
import type { AmaxRule, AmaxRuleOptions } from './amax-rule.js';
import { searchAmax } from './linear-search.js';

/** The p-th percentile of |x| (left edge of the first bin whose cdf reaches p). */
export class Percentile implements AmaxRule {
  readonly name = 'percentile';
  readonly algorithm = 'Percentile';
  constructor(private readonly options: AmaxRuleOptions) {}
  computeAmax(histogram: Histogram): Promise<number> {
    return searchAmax(histogram, 'percentile', this.options.percentile);
  }
}
