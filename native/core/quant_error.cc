#include "quant_error.h"

#include <algorithm>
#include <cmath>

namespace int8cal {

QuantError quantizationError(const double* counts, size_t n, double range, double amax) {
  double total = 0, error = 0, power = 0;
  const double width = range / static_cast<double>(n);
  const double scale = amax / 127.0;
  for (size_t j = 0; j < n; ++j) {
    const double c = counts[j];
    if (c <= 0) continue;
    total += c;
    double binError = 0, binPower = 0;
    for (size_t k = 0; k < kErrorSamplesPerBin; ++k) {
      const double x = (static_cast<double>(j) + (static_cast<double>(k) + 0.5) / kErrorSamplesPerBin) * width;
      const double q = amax > 0 ? std::min(127.0, std::nearbyint(x / scale)) * scale : 0.0;
      binError += (q - x) * (q - x);
      binPower += x * x;
    }
    error += c * binError / kErrorSamplesPerBin;
    power += c * binPower / kErrorSamplesPerBin;
  }
  if (total <= 0) return {0, 0};
  return {error / total, power / total};
}

}  // namespace int8cal
