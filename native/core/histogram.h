// The order-independent histogram of |x|: values are binned by their float32 bits — exponent
// plus the top 12 mantissa bits, i.e. 4096 sub-bins per octave — so counting is a shift and an
// increment, and the result does not depend on the order or batching of the data. Octaves are
// allocated on first use. Any linear histogram over [0, amax] is derived afterwards.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "value_histogram.h"

namespace int8cal {

class ExactHistogram final : public ValueHistogram {
 public:
  static constexpr int kSubBinBits = 12;
  static constexpr uint32_t kSubBins = 1u << kSubBinBits;  // per octave
  static constexpr int kOctaves = 255;                      // finite float32 exponents

  HistogramMode mode() const override { return HistogramMode::kExact; }
  void accumulate(const float* values, size_t count) override;
  /** Adds `other`'s counts and statistics: the histogram of both value sets (exact sums). */
  void merge(const ExactHistogram& other);
  const ValueStats& stats() const override { return stats_; }
  double defaultAmax() const override { return stats_.absmax(); }
  /**
   * Each sub-bin's count is spread over the linear bins its [lo, hi) interval covers, in
   * proportion to the overlap (the top sub-bin's interval ends just above the exact absmax).
   * Exact zeros go to bin 0. Deterministic: depends only on the counts.
   */
  std::vector<double> linear(size_t bins, double amax) const override;

  static std::unique_ptr<ExactHistogram> readPayload(ByteReader& in, uint16_t version);

 protected:
  void writePayload(ByteWriter& out) const override;

 private:
  uint64_t* octave(uint32_t exponent);
  ValueStats stats_;
  std::array<std::unique_ptr<uint64_t[]>, kOctaves> octaves_;
};

}  // namespace int8cal
