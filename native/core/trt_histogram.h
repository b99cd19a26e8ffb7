// TensorRT's histogram behaviour, for users who must match it: 2048 bins over [0, max |x| of
// the first batch that has a non-zero value]; when a later batch exceeds the range, the range
// doubles (adjacent bin pairs merge) until it fits. Results depend on batch order and size.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "value_histogram.h"

namespace int8cal {

class TrtHistogram final : public ValueHistogram {
 public:
  static constexpr size_t kBins = 2048;

  TrtHistogram() : bins_(kBins, 0) {}
  HistogramMode mode() const override { return HistogramMode::kTrt; }
  /** One call is one batch: the range grows (by doubling) before the batch is binned. */
  void accumulate(const float* values, size_t count) override;
  const ValueStats& stats() const override { return stats_; }
  /** The current range (0 until a non-zero value was seen). */
  double defaultAmax() const override { return range_; }
  /** Its own bins when asked for kBins bins over its range; otherwise each bin is spread. */
  std::vector<double> linear(size_t bins, double amax) const override;
  const std::vector<uint64_t>& counts() const { return bins_; }

  static std::unique_ptr<TrtHistogram> readPayload(ByteReader& in, uint16_t version);

 protected:
  void writePayload(ByteWriter& out) const override;

 private:
  void growTo(double batchMax);
  ValueStats stats_;
  std::vector<uint64_t> bins_;
  double range_ = 0;
};

}  // namespace int8cal
