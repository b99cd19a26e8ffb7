// Spreading a count that is uniform over an interval onto linear bins.
#pragma once

#include <vector>

namespace int8cal {

/**
 * Adds `count`, assumed uniform over [a, b) in bin units (bin k covers [k, k+1)), to `bins`,
 * each bin getting the share of the interval it covers. Whatever lies at or beyond the last
 * bin's upper edge goes into the last bin. Requires 0 <= a, a <= b, bins non-empty.
 */
void spreadUniform(double a, double b, double count, std::vector<double>& bins);

}  // namespace int8cal
