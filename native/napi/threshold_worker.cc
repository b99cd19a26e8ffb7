#include "threshold_worker.h"

#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include "../core/thresholds.h"
#include "common.h"

namespace int8cal {

namespace {

enum class Method { kEntropy, kPercentile, kMse };

/** Inputs and outputs of one search; filled on the JS thread, searched anywhere. */
struct ThresholdBaton {
  std::vector<double> counts;
  double amax = 0;
  Method method = Method::kEntropy;
  double param = 0;
  AmaxChoice result{0, 0};
};

ThresholdBaton parseArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThresholdBaton baton;
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, "counts must be a Float64Array");
  }
  auto counts = info[0].As<Napi::Float64Array>();
  baton.counts.assign(counts.Data(), counts.Data() + counts.ElementLength());
  baton.amax = amaxArg(info[1], 0);
  const std::string method = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  if (method == "entropy") {
    baton.method = Method::kEntropy;
  } else if (method == "percentile") {
    baton.method = Method::kPercentile;
  } else if (method == "mse") {
    baton.method = Method::kMse;
  } else {
    throw Napi::TypeError::New(env, "method must be \"entropy\", \"percentile\" or \"mse\"");
  }
  baton.param = info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : 0;
  // The argument rules (finite counts, percentile range) are checked in src/core/native.ts with
  // the user-facing messages; here only what keeps the search inside its buffer.
  const size_t minBins = baton.method == Method::kEntropy ? kStartBin : baton.method == Method::kMse ? kStartBin + 1 : 1;
  if (baton.counts.size() < minBins) {
    throw Napi::RangeError::New(env, "counts must have at least " + std::to_string(minBins) + " bins");
  }
  return baton;
}

void search(ThresholdBaton& baton) {
  const double* counts = baton.counts.data();
  const size_t n = baton.counts.size();
  switch (baton.method) {
    case Method::kEntropy: baton.result = entropyAmax(counts, n, baton.amax); break;
    case Method::kPercentile: baton.result = percentileAmax(counts, n, baton.amax, baton.param); break;
    case Method::kMse: baton.result = mseAmax(counts, n, baton.amax); break;
  }
}

Napi::Object resultObject(Napi::Env env, const AmaxChoice& choice) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("amax", choice.amax);
  out.Set("bin", static_cast<double>(choice.bin));
  return out;
}

class ThresholdWorker : public Napi::AsyncWorker {
 public:
  ThresholdWorker(Napi::Env env, ThresholdBaton baton)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), baton_(std::move(baton)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      search(baton_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(resultObject(Env(), baton_.result)); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  ThresholdBaton baton_;
};

}  // namespace

Napi::Value ComputeAmax(const Napi::CallbackInfo& info) {
  auto* worker = new ThresholdWorker(info.Env(), parseArgs(info));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value ComputeAmaxSync(const Napi::CallbackInfo& info) {
  ThresholdBaton baton = parseArgs(info);
  try {
    search(baton);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return resultObject(info.Env(), baton.result);
}

}  // namespace int8cal
