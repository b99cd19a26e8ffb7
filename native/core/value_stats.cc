#include "value_stats.h"

#include <algorithm>
#include <cmath>

namespace int8cal {

double valueOfBits(uint32_t bits) {
  const uint32_t exponent = bits >> 23;
  const uint32_t mantissa = bits & 0x7fffffu;
  if (exponent == 0) return std::ldexp(static_cast<double>(mantissa), -149);
  return std::ldexp(static_cast<double>(mantissa | 0x800000u), static_cast<int>(exponent) - 150);
}

void ValueStats::write(ByteWriter& out) const {
  out.u64(total);
  out.u64(nan);
  out.u64(inf);
  out.u64(zeros);
  out.u32(absmaxBits);
  out.u32(negativeMaxBits);
  out.u32(positiveMaxBits);
}

ValueStats ValueStats::read(ByteReader& in, uint16_t version) {
  ValueStats s;
  s.total = in.u64();
  s.nan = in.u64();
  s.inf = in.u64();
  s.zeros = in.u64();
  s.absmaxBits = in.u32();
  s.negativeMaxBits = version >= 2 ? in.u32() : s.absmaxBits;
  s.positiveMaxBits = version >= 2 ? in.u32() : s.absmaxBits;
  if (std::max(s.negativeMaxBits, s.positiveMaxBits) != s.absmaxBits) throw CorruptData("per-sign maxima disagree with absmax");
  if (s.nan > s.total || s.inf > s.total - s.nan) throw CorruptData("NaN/Inf counts exceed total");
  if (s.zeros > s.finite()) throw CorruptData("zero count exceeds finite count");
  if (s.absmaxBits >= kInfBits) throw CorruptData("absmax is not finite");
  if (s.absmaxBits != 0 && s.finite() == s.zeros) throw CorruptData("absmax without non-zero values");
  if (s.absmaxBits == 0 && s.finite() != s.zeros) throw CorruptData("non-zero values without absmax");
  return s;
}

void ValueStats::foldMaxima(uint32_t negativeBits, uint32_t positiveBits) {
  negativeMaxBits = std::max(negativeMaxBits, negativeBits);
  positiveMaxBits = std::max(positiveMaxBits, positiveBits);
  absmaxBits = std::max(negativeMaxBits, positiveMaxBits);
}

void ValueStats::add(const ValueStats& o) {
  total += o.total;
  nan += o.nan;
  inf += o.inf;
  zeros += o.zeros;
  foldMaxima(o.negativeMaxBits, o.positiveMaxBits);
}

void scanStats(const float* values, size_t count, ValueStats& stats) {
  uint64_t nan = 0, inf = 0, zeros = 0;
  uint32_t maxBits[2] = {stats.positiveMaxBits, stats.negativeMaxBits};
  for (size_t i = 0; i < count; ++i) {
    const uint32_t b = absBits(values[i]);
    if (b >= kInfBits) {
      if (b == kInfBits) ++inf; else ++nan;
    } else if (b == 0) {
      ++zeros;
    } else {
      uint32_t& m = maxBits[signBit(values[i])];
      if (b > m) m = b;
    }
  }
  stats.total += count;
  stats.nan += nan;
  stats.inf += inf;
  stats.zeros += zeros;
  stats.foldMaxima(maxBits[1], maxBits[0]);
}

}  // namespace int8cal
