// Exact statistics tracked next to every histogram: counts of all, NaN, ±Inf and exact-zero
// values, and the exact max |x| over finite values, also per sign (kept as float32 bits: for
// non-negative floats, the integer order of the bits is the numeric order). The per-sign maxima
// give the signed range [−negativeMax, positiveMax] that asymmetric quantization uses.
#pragma once

#include <cstdint>
#include <cstring>

#include "byte_io.h"

namespace int8cal {

constexpr uint32_t kAbsMask = 0x7fffffffu;
constexpr uint32_t kInfBits = 0x7f800000u;

inline uint32_t absBits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits & kAbsMask;
}

/** 1 for negative floats (sign bit set), else 0. */
inline uint32_t signBit(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits >> 31;
}

/** The value of non-negative float32 bits (up to and including +Inf's bits) as a double. */
double valueOfBits(uint32_t bits);

struct ValueStats {
  uint64_t total = 0;
  uint64_t nan = 0;
  uint64_t inf = 0;
  uint64_t zeros = 0;
  uint32_t absmaxBits = 0;
  /** Max |x| over negative / positive finite values (0 if none). */
  uint32_t negativeMaxBits = 0;
  uint32_t positiveMaxBits = 0;

  uint64_t finite() const { return total - nan - inf; }
  double absmax() const { return valueOfBits(absmaxBits); }

  void write(ByteWriter& out) const;
  /**
   * Reads and validates (NaN + Inf <= total, zeros <= finite, absmax finite, absmax = the larger
   * per-sign max). Blob version 1 has no per-sign maxima: both read as absmax (sign unknown).
   */
  static ValueStats read(ByteReader& in, uint16_t version);
  /** Folds per-sign maxima in and keeps absmax their max. */
  void foldMaxima(uint32_t negativeBits, uint32_t positiveBits);
  /** Adds another's counts and folds its maxima in (merging histograms, or a batch into a total). */
  void add(const ValueStats& other);
};

/**
 * Counts NaN/Inf/zeros and the max over `count` values into `stats`; the caller still bins the
 * finite non-zero values. Used by histograms whose binning needs the batch max first.
 */
void scanStats(const float* values, size_t count, ValueStats& stats);

}  // namespace int8cal
