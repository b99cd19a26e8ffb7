#include "linear_bins.h"

#include <algorithm>
#include <cmath>

namespace int8cal {

namespace {
/** Edges closer than this (in bins) to a bin edge are snapped onto it, so rounding noise in
 *  the scaling never leaks a sliver of a count into a neighbouring (possibly empty) bin. */
constexpr double kSnap = 1e-9;

double snap(double x) {
  const double edge = std::round(x);
  return std::fabs(x - edge) < kSnap ? edge : x;
}
}  // namespace

void spreadUniform(double a, double b, double count, std::vector<double>& bins) {
  const double n0 = static_cast<double>(bins.size());
  if (a >= 0 && a < n0) {  // common case: well inside one bin (snapping can't move it out)
    const size_t k = static_cast<size_t>(a);
    if (b <= static_cast<double>(k + 1) - kSnap) {
      bins[k] += count;
      return;
    }
  }
  a = snap(a);
  b = std::fmax(snap(b), a);
  const double n = static_cast<double>(bins.size());
  const size_t last = bins.size() - 1;
  if (!(a < n)) {  // also catches NaN
    bins[last] += count;
    return;
  }
  const size_t k0 = static_cast<size_t>(a);
  if (!(b > a) || b <= static_cast<double>(k0 + 1)) {  // inside one bin (or a point)
    bins[k0] += count;
    return;
  }
  const double perUnit = count / (b - a);
  const double top = std::min(b, n);
  double from = a;
  for (size_t k = k0; k <= last && static_cast<double>(k) < top; ++k) {
    const double to = std::min(top, static_cast<double>(k + 1));
    bins[k] += (to - from) * perUnit;
    from = to;
  }
  if (b > n) bins[last] += (b - n) * perUnit;
}

}  // namespace int8cal
