// Expected int8 quantization error of a tensor from its linear histogram: the local criterion
// `--calibrator auto` ranks the calibrators' ranges with (no inference needed).
#pragma once

#include <cstddef>

namespace int8cal {

/** Sub-points per bin at which the error is sampled (values are assumed uniform in a bin). */
constexpr size_t kErrorSamplesPerBin = 4;

struct QuantError {
  /** Mean of (fakeQuant(x) - x)^2 over the histogram's values. */
  double mse;
  /** Mean of x^2 (the signal power), for SQNR = meanSquare / mse. */
  double meanSquare;
};

/**
 * Histogram h[0..n) of |x| over [0, range]; symmetric int8 fake-quant with scale amax / 127
 * (round half to even, clamp to 127). Each bin's values are taken as uniform over the bin,
 * sampled at kErrorSamplesPerBin evenly spaced points. amax <= 0 gives mse = meanSquare
 * (everything quantizes to 0). An empty histogram gives {0, 0}.
 */
QuantError quantizationError(const double* counts, size_t n, double range, double amax);

}  // namespace int8cal
