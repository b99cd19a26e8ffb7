#include "thresholds.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace int8cal {

namespace {

/** Two candidates' divergences closer than this are a tie (the larger bin count wins). The
 *  prefix-sum evaluation differs from a direct sum only by rounding, far below this. */
constexpr double kTieTolerance = 1e-12;

double xlogx(double x) { return x > 0 ? x * std::log(x) : 0.0; }

/**
 * Per group size, the term mass * log(mass / non-empty bins) of a group of that size at every
 * start. Candidate i only uses sizes floor(i/128) and floor(i/128) + 1, and i only grows, so two
 * tables are kept and refilled as the sizes move up (about n logs per size in all).
 */
class GroupTerms {
 public:
  GroupTerms(const std::vector<double>& mass, const std::vector<uint32_t>& nonEmpty)
      : mass_(mass), nonEmpty_(nonEmpty) {}

  const double* forSize(size_t size) {
    Slot& slot = slots_[size & 1];
    if (slot.size != size) fill(slot, size);
    return slot.terms.data();
  }

 private:
  struct Slot {
    size_t size = 0;
    std::vector<double> terms;
  };

  void fill(Slot& slot, size_t size) {
    const size_t n = mass_.size() - 1;
    slot.size = size;
    slot.terms.assign(n - size + 1, 0.0);
    for (size_t lo = 0; lo + size <= n; ++lo) {
      const uint32_t c = nonEmpty_[lo + size] - nonEmpty_[lo];
      if (c == 0) continue;
      const double m = mass_[lo + size] - mass_[lo];
      slot.terms[lo] = m * std::log(m / c);
    }
  }

  const std::vector<double>& mass_;
  const std::vector<uint32_t>& nonEmpty_;
  Slot slots_[2];
};

}  // namespace

AmaxChoice entropyAmax(const double* counts, size_t n, double amax) {
  if (n < kStartBin) throw std::invalid_argument("entropy needs at least 128 bins");
  const double width = amax / static_cast<double>(n);
  std::vector<double> h(counts, counts + n);
  h[0] = h[1];  // suppress the spike of exact zeros, as the reference does

  // Prefix sums: mass S, non-empty bins, sum of h log h; suffix sums: outliers O.
  std::vector<double> mass(n + 1, 0.0), hlogh(n + 1, 0.0), outliers(n + 1, 0.0);
  std::vector<uint32_t> nonEmpty(n + 1, 0);
  for (size_t j = 0; j < n; ++j) {
    mass[j + 1] = mass[j] + h[j];
    hlogh[j + 1] = hlogh[j] + xlogx(h[j]);
    nonEmpty[j + 1] = nonEmpty[j] + (h[j] > 0 ? 1 : 0);
  }
  for (size_t j = n; j-- > 0;) outliers[j] = outliers[j + 1] + h[j];
  const double total = mass[n];
  GroupTerms terms(mass, nonEmpty);

  size_t bestNan = 0, best = n;
  double bestD = std::numeric_limits<double>::infinity();
  std::vector<double> divergence(n + 1, std::numeric_limits<double>::infinity());
  for (size_t i = kStartBin; i <= n; ++i) {
    if (mass[i] == 0 || total == 0) {  // Q (or P) sums to 0: NaN in the reference
      bestNan = i;
      continue;
    }
    const double out = outliers[i];
    if (out > 0 && h[i - 1] == 0) continue;  // P > 0 where Q = 0: +inf
    // sum over kept bins of P log Q: each group contributes mass * log(mass / nonEmpty); the
    // outliers folded into bin i-1 add out * log Q[i-1].
    // Group g covers [ceil(g*i/128), ceil((g+1)*i/128)): floor(i/128) or one more bins.
    const size_t small = i / kQuantLevels;
    const double* bySize[2] = {terms.forSize(small), i % kQuantLevels ? terms.forSize(small + 1) : nullptr};
    // ceil(g * i / 128) for g = 0..128; four independent sums keep the adds pipelined.
    auto edge = [i](size_t g) { return (g * i + kQuantLevels - 1) / kQuantLevels; };
    auto term = [&](size_t g) {
      const size_t lo = edge(g);
      return bySize[edge(g + 1) - lo - small][lo];  // branch-free choice of table
    };
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t g = 0; g < kQuantLevels; g += 4) {
      s0 += term(g);
      s1 += term(g + 1);
      s2 += term(g + 2);
      s3 += term(g + 3);
    }
    const size_t lastLo = edge(kQuantLevels - 1);
    long double cross = (static_cast<long double>(s0) + s1) + (static_cast<long double>(s2) + s3);
    if (out > 0) {
      const double lastMass = mass[i] - mass[lastLo];
      const double lastNonEmpty = nonEmpty[i] - nonEmpty[lastLo];
      cross += out * std::log(lastMass / lastNonEmpty);
    }
    const long double selfTerm = static_cast<long double>(hlogh[i - 1]) + xlogx(h[i - 1] + out);
    // KL with P normalised by total, Q by mass[i]: (sum P log P - sum P log Q) / T + log(S/T)
    const double d = static_cast<double>((selfTerm - cross) / total) + std::log(mass[i] / total);
    divergence[i] = d;
    if (d < bestD) bestD = d;
  }
  if (bestNan) return {width * static_cast<double>(bestNan), bestNan};
  if (std::isfinite(bestD)) {
    for (size_t i = n; i >= kStartBin; --i) {
      if (divergence[i] <= bestD + kTieTolerance) {
        best = i;
        break;
      }
    }
  }
  return {width * static_cast<double>(best), best};
}

AmaxChoice percentileAmax(const double* counts, size_t n, double amax, double percentile) {
  if (n == 0) throw std::invalid_argument("empty histogram");
  const double width = amax / static_cast<double>(n);
  double total = 0;
  for (size_t k = 0; k < n; ++k) total += counts[k];
  if (total <= 0) return {0.0, 0};
  const double target = percentile / 100.0;
  double cdf = 0;
  for (size_t k = 0; k < n; ++k) {
    cdf += counts[k] / total;
    if (cdf >= target) return {width * static_cast<double>(k), k};
  }
  return {width * static_cast<double>(n), n};
}

AmaxChoice mseAmax(const double* counts, size_t n, double amax) {
  if (n <= kStartBin) throw std::invalid_argument("mse needs more than 128 bins");
  const double width = amax / static_cast<double>(n);
  std::vector<double> centre(n);
  // Suffix sums of counts, counts * x, counts * x^2 for the clamped tail.
  std::vector<double> c0(n + 1, 0.0), c1(n + 1, 0.0), c2(n + 1, 0.0);
  for (size_t j = 0; j < n; ++j) centre[j] = (static_cast<double>(j) + 0.5) * width;
  for (size_t j = n; j-- > 0;) {
    c0[j] = c0[j + 1] + counts[j];
    c1[j] = c1[j + 1] + counts[j] * centre[j];
    c2[j] = c2[j + 1] + counts[j] * centre[j] * centre[j];
  }
  size_t best = kStartBin;
  double bestErr = std::numeric_limits<double>::infinity();
  for (size_t k = kStartBin; k < n; ++k) {
    const double a = centre[k];
    const double scale = a / 127.0;
    const double inv = 127.0 / a;
    double err = 0;
    size_t j = 0;
    for (; j < n; ++j) {
      const double q = std::nearbyint(centre[j] * inv);
      if (q >= 127) break;  // from here on every centre clamps to +127
      const double e = q * scale - centre[j];
      err += counts[j] * e * e;
    }
    // sum counts * (a - x)^2 over the clamped tail
    err += a * a * c0[j] - 2 * a * c1[j] + c2[j];
    if (err < bestErr) {
      bestErr = err;
      best = k;
    }
  }
  return {centre[best], best};
}

}  // namespace int8cal
