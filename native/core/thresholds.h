// Threshold (amax) searches on a linear histogram h[0..n) of |x| over [0, amax], bin width
// w = amax / n. Pure functions of the counts: no state, no allocation visible to callers.
#pragma once

#include <cstddef>

namespace int8cal {

/** First candidate bin count / centre index for entropy and MSE (NVIDIA's start_bin). */
constexpr size_t kStartBin = 128;
/** Quantized levels of the positive half of int8 (NVIDIA's nbins for num_bits = 8). */
constexpr size_t kQuantLevels = 128;

struct AmaxChoice {
  double amax;
  /** Entropy: bins kept (amax = bin * w). Percentile: edge index (amax = bin * w).
   *  MSE: index of the chosen bin centre (amax = (bin + 0.5) * w). */
  size_t bin;
};

/**
 * EntropyCalibration2 as NVIDIA's pytorch-quantization `_compute_amax_entropy` computes it
 * (num_bits 8, start_bin 128, stride 1): minimal KL(P||Q) over i = 128..n, largest i on ties.
 * Like the reference, a candidate whose Q is all zero (h[0..i) empty) yields NaN, and NaN wins:
 * the largest such i is returned. O(n * 128) with prefix sums. Requires n >= 128.
 */
AmaxChoice entropyAmax(const double* counts, size_t n, double amax);

/** First edge index k with cdf[k] >= percentile / 100 (amax = k * w). */
AmaxChoice percentileAmax(const double* counts, size_t n, double amax, double percentile);

/** The bin centre c_k (k >= 128) minimising sum counts * (fakeQuant(x) - x)^2 over bin centres,
 *  symmetric int8 with scale c_k / 127, round half to even, clamp to +-127. Requires n > 128. */
AmaxChoice mseAmax(const double* counts, size_t n, double amax);

}  // namespace int8cal
