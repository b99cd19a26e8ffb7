#include "trt_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "linear_bins.h"

namespace int8cal {

void TrtHistogram::growTo(double batchMax) {
  if (range_ == 0) {  // first non-zero batch sets the range; earlier values were all zeros (bin 0)
    range_ = batchMax;
    return;
  }
  while (batchMax > range_) {
    const size_t half = bins_.size() / 2;
    for (size_t k = 0; k < half; ++k) bins_[k] = bins_[2 * k] + bins_[2 * k + 1];
    std::fill(bins_.begin() + half, bins_.end(), 0);
    range_ *= 2;
  }
}

void TrtHistogram::accumulate(const float* values, size_t count) {
  ValueStats batch;
  scanStats(values, count, batch);
  growTo(batch.absmax());
  const double scale = range_ > 0 ? static_cast<double>(bins_.size()) / range_ : 0.0;
  const size_t last = bins_.size() - 1;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t b = absBits(values[i]);
    if (b >= kInfBits) continue;
    const double x = std::fabs(static_cast<double>(values[i]));
    const size_t k = static_cast<size_t>(x * scale);
    ++bins_[k < last ? k : last];
  }
  stats_.add(batch);
}

std::vector<double> TrtHistogram::linear(size_t bins, double amax) const {
  if (bins == 0) throw std::invalid_argument("bins must be positive");
  if (!(amax >= 0) || !std::isfinite(amax)) throw std::invalid_argument("amax must be finite and >= 0");
  std::vector<double> out(bins, 0.0);
  if (bins == bins_.size() && amax == range_) {
    for (size_t k = 0; k < bins; ++k) out[k] = static_cast<double>(bins_[k]);
    return out;
  }
  if (range_ == 0) {  // only zeros so far
    out[0] = static_cast<double>(bins_[0]);
    return out;
  }
  const double scale = amax > 0 ? static_cast<double>(bins) / amax : std::numeric_limits<double>::infinity();
  const double width = range_ / static_cast<double>(bins_.size());
  for (size_t k = 0; k < bins_.size(); ++k) {
    if (!bins_[k]) continue;
    const double lo = static_cast<double>(k) * width;
    spreadUniform(lo * scale, (lo + width) * scale, static_cast<double>(bins_[k]), out);
  }
  return out;
}

// Payload: stats, bin count (u32), range (f64), then one varint count per bin.
void TrtHistogram::writePayload(ByteWriter& out) const {
  stats_.write(out);
  out.u32(static_cast<uint32_t>(bins_.size()));
  out.f64(range_);
  for (uint64_t c : bins_) out.varint(c);
}

std::unique_ptr<TrtHistogram> TrtHistogram::readPayload(ByteReader& in, uint16_t version) {
  auto h = std::make_unique<TrtHistogram>();
  h->stats_ = ValueStats::read(in, version);
  if (in.u32() != kBins) throw CorruptData("unsupported bin count");
  h->range_ = in.f64();
  const ValueStats& s = h->stats_;
  if (!std::isfinite(h->range_) || h->range_ < 0) throw CorruptData("bad range");
  if ((h->range_ == 0) != (s.absmaxBits == 0) || h->range_ < s.absmax()) {
    throw CorruptData("range inconsistent with absmax");
  }
  uint64_t sum = 0;
  for (auto& c : h->bins_) {
    c = in.varint();
    if (c > std::numeric_limits<uint64_t>::max() - sum) throw CorruptData("counts overflow");
    sum += c;
  }
  if (sum != s.finite()) throw CorruptData("histogram counts do not add up to the value count");
  return h;
}

}  // namespace int8cal
