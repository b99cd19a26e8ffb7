// The interface shared by both histogram kinds, and the blob envelope that names the kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "byte_io.h"
#include "value_stats.h"

namespace int8cal {

enum class HistogramMode : uint8_t { kExact = 0, kTrt = 1 };

/** Version of the blob layout written by serialize(); readers reject newer ones. */
constexpr uint16_t kBlobVersion = 2;  // 2: per-sign maxima in the stats

/** A histogram of |x| with exact statistics. Not thread-safe: callers serialise access. */
class ValueHistogram {
 public:
  virtual ~ValueHistogram() = default;
  virtual HistogramMode mode() const = 0;
  /** Folds `count` float32 values in. NaN and ±Inf are counted and excluded. */
  virtual void accumulate(const float* values, size_t count) = 0;
  virtual const ValueStats& stats() const = 0;
  /** The amax that linear() uses when none is given (exact: absmax; trt: its current range). */
  virtual double defaultAmax() const = 0;
  /** `bins` linear bins over [0, amax]; counts above amax land in the last bin. */
  virtual std::vector<double> linear(size_t bins, double amax) const = 0;
  /** Versioned, self-validating bytes; equal histograms give equal bytes. */
  std::vector<uint8_t> serialize() const;

 protected:
  virtual void writePayload(ByteWriter& out) const = 0;
};

std::unique_ptr<ValueHistogram> makeHistogram(HistogramMode mode);

/** Rebuilds a histogram from serialize()'s bytes; throws CorruptData on any inconsistency. */
std::unique_ptr<ValueHistogram> deserializeHistogram(const uint8_t* data, size_t size);

}  // namespace int8cal
