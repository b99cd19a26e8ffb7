#include "quant_error_worker.h"

#include <cmath>
#include <vector>

#include "../core/quant_error.h"
#include "common.h"

namespace int8cal {

namespace {

std::vector<double> float64Arg(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a Float64Array");
  }
  auto array = value.As<Napi::Float64Array>();
  return std::vector<double>(array.Data(), array.Data() + array.ElementLength());
}

class QuantErrorWorker : public Napi::AsyncWorker {
 public:
  QuantErrorWorker(Napi::Env env, std::vector<double> counts, double range, std::vector<double> amaxes)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        counts_(std::move(counts)), range_(range), amaxes_(std::move(amaxes)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    for (double amax : amaxes_) {
      const QuantError e = quantizationError(counts_.data(), counts_.size(), range_, amax);
      mse_.push_back(e.mse);
      meanSquare_ = e.meanSquare;
    }
  }
  void OnOK() override {
    Napi::Object out = Napi::Object::New(Env());
    out.Set("mse", toFloat64Array(Env(), mse_));
    out.Set("meanSquare", meanSquare_);
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<double> counts_;
  double range_;
  std::vector<double> amaxes_;
  std::vector<double> mse_;
  double meanSquare_ = 0;
};

}  // namespace

Napi::Value QuantizationErrors(const Napi::CallbackInfo& info) {
  std::vector<double> counts = float64Arg(info[0], "counts");
  const double range = amaxArg(info[1], 0);
  std::vector<double> amaxes = float64Arg(info[2], "amaxes");
  if (counts.empty()) throw Napi::RangeError::New(info.Env(), "counts must not be empty");
  for (double c : counts) {
    if (!(c >= 0) || !std::isfinite(c)) throw Napi::RangeError::New(info.Env(), "counts must be finite and >= 0");
  }
  for (double a : amaxes) {
    if (!(a >= 0) || !std::isfinite(a)) throw Napi::RangeError::New(info.Env(), "amaxes must be finite and >= 0");
  }
  auto* worker = new QuantErrorWorker(info.Env(), std::move(counts), range, std::move(amaxes));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace int8cal
