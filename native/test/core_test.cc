// Direct tests of native/core, built with g++ by test/native/core-cpp.test.ts:
//   g++ -std=c++17 -O2 -Inative/core native/core/*.cc native/test/core_test.cc
// Checks the prefix-sum entropy search against a literal O(n^2) transcription of the
// reference algorithm on many random histograms, and blob robustness. Exit code 0 = pass.
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "byte_io.h"
#include "histogram.h"
#include "thresholds.h"
#include "trt_histogram.h"

#include "check.h"

using namespace int8cal;

namespace {

using int8cal_test::failures;

/** The reference loop, literally: build P and Q, normalise, sum p log(p/q), NaN wins. */
size_t naiveEntropyBins(std::vector<double> h) {
  const size_t n = h.size();
  h[0] = h[1];
  std::vector<double> divergence, p, q, groupMass, groupNonEmpty;
  for (size_t i = kStartBin; i <= n; ++i) {
    q.assign(i, 0.0);
    groupMass.assign(kQuantLevels, 0.0);
    groupNonEmpty.assign(kQuantLevels, 0.0);
    for (size_t j = 0; j < i; ++j) {
      if (h[j] == 0) continue;
      const size_t g = kQuantLevels * j / i;
      groupMass[g] += h[j];
      groupNonEmpty[g] += 1;
    }
    for (size_t j = 0; j < i; ++j) {
      if (h[j] != 0) q[j] = groupMass[kQuantLevels * j / i] / groupNonEmpty[kQuantLevels * j / i];
    }
    p.assign(h.begin(), h.begin() + i);
    for (size_t j = i; j < n; ++j) p[i - 1] += h[j];
    double sp = 0, sq = 0;
    for (size_t j = 0; j < i; ++j) sp += p[j], sq += q[j];
    double d = 0;
    for (size_t j = 0; j < i; ++j) {
      const double pj = p[j] / sp, qj = q[j] / sq;
      if (std::isnan(pj) || std::isnan(qj)) d = std::numeric_limits<double>::quiet_NaN();
      else if (pj > 0 && qj == 0) d += std::numeric_limits<double>::infinity();
      else if (pj > 0) d += pj * std::log(pj / qj);
    }
    divergence.push_back(d);
  }
  // numpy: argmin over the reversed list (a NaN is the minimum; first occurrence wins)
  size_t best = divergence.size() - 1;
  for (size_t k = divergence.size(); k-- > 0;) {
    if (std::isnan(divergence[k])) { best = k; break; }
    if (divergence[k] < divergence[best]) best = k;
  }
  return best + kStartBin;
}

void entropyMatchesNaive() {
  std::mt19937_64 rng(1234);
  int cases = 0;
  for (size_t n : {128u, 129u, 200u, 517u, 2048u}) {
    const int trials = n == 2048 ? 12 : 120;
    for (int t = 0; t < trials; ++t) {
      std::vector<double> h(n, 0.0);
      const double fill = std::uniform_real_distribution<double>(0.02, 1.0)(rng);
      const double decay = std::uniform_real_distribution<double>(0.0, 8.0)(rng);
      const size_t leadingZeros = t % 5 == 0 ? rng() % (n + 40) : 0;  // sometimes Q is empty
      for (size_t j = leadingZeros; j < n; ++j) {
        if (std::uniform_real_distribution<double>(0, 1)(rng) > fill) continue;
        const double scale = 1000.0 * std::exp(-decay * j / n);
        h[j] = std::floor(std::uniform_real_distribution<double>(0, scale)(rng));
      }
      if (t % 7 == 0) h[n - 1] += 1 + rng() % 50;  // outliers at the top
      const size_t fast = entropyAmax(h.data(), n, 1.0).bin;
      const size_t naive = naiveEntropyBins(h);
      CHECK(fast == naive, "n=%zu trial=%d fast=%zu naive=%zu", n, t, fast, naive);
      ++cases;
    }
  }
  std::printf("entropy: %d random histograms checked against the literal algorithm\n", cases);
}

void blobsAreValidated() {
  ExactHistogram exact;
  TrtHistogram trt;
  std::mt19937 rng(5);
  std::vector<float> values(5000);
  for (auto& v : values) v = std::normal_distribution<float>(0, 3)(rng);
  values[0] = std::numeric_limits<float>::quiet_NaN();
  values[1] = 0;
  exact.accumulate(values.data(), values.size());
  trt.accumulate(values.data(), values.size());
  for (const ValueHistogram* h : {static_cast<const ValueHistogram*>(&exact), static_cast<const ValueHistogram*>(&trt)}) {
    const std::vector<uint8_t> bytes = h->serialize();
    CHECK(deserializeHistogram(bytes.data(), bytes.size())->serialize() == bytes, "round trip");
    for (size_t len = 0; len < bytes.size(); len += len < 64 ? 1 : 13) {
      bool threw = false;
      try {
        deserializeHistogram(bytes.data(), len);
      } catch (const CorruptData&) {
        threw = true;
      }
      CHECK(threw, "truncated to %zu of %zu accepted", len, bytes.size());
    }
    for (int trial = 0; trial < 500; ++trial) {  // must throw CorruptData or succeed, never crash
      std::vector<uint8_t> damaged = bytes;
      damaged[rng() % damaged.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      try {
        deserializeHistogram(damaged.data(), damaged.size());
      } catch (const CorruptData&) {
      }
    }
  }
  std::printf("blobs: truncations rejected, bit flips survived\n");
}

// Zeros (±0) next to subnormals in sub-bin 0, and a merge of parts equal to one histogram of all.
void zerosAndMergesAreExact() {
  std::mt19937 rng(11);
  std::vector<float> values(30000);
  for (auto& v : values) v = std::normal_distribution<float>(0, 2)(rng);
  for (size_t i = 0; i < values.size(); i += 3) values[i] = i % 2 ? -0.0f : 0.0f;
  values[5] = std::numeric_limits<float>::denorm_min();
  values[7] = std::numeric_limits<float>::infinity();
  ExactHistogram whole, onlyZeros, merged;
  whole.accumulate(values.data(), values.size());
  const float zeros[4] = {0.0f, -0.0f, 0.0f, 0.0f};
  onlyZeros.accumulate(zeros, 4);
  ExactHistogram empty;
  CHECK(onlyZeros.serialize().size() == empty.serialize().size(), "all-zero input stores no octave");
  CHECK(onlyZeros.stats().zeros == 4 && onlyZeros.stats().absmaxBits == 0, "zeros counted, no max");
  CHECK(whole.stats().zeros == 10000, "zeros %llu", static_cast<unsigned long long>(whole.stats().zeros));
  for (size_t from : {size_t(0), size_t(9999), size_t(17000)}) {
    const size_t to = from == 0 ? 9999 : from == 9999 ? 17000 : values.size();
    ExactHistogram part;
    part.accumulate(values.data() + from, to - from);
    merged.merge(part);
  }
  CHECK(merged.serialize() == whole.serialize(), "merged parts differ from the whole");
  std::printf("zeros and merges: exact\n");
}

}  // namespace

int main() {
  entropyMatchesNaive();
  blobsAreValidated();
  zerosAndMergesAreExact();
  std::printf(failures ? "%d FAILURE(S)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
