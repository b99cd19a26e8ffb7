#include "histogram_wrap.h"

#include <string>

#include "../core/histogram.h"
#include "accumulate_worker.h"
#include "common.h"

namespace int8cal {

namespace {
/** Per-addon-instance constructor, so IsInstance and Deserialize work in worker threads too. */
struct InstanceData {
  Napi::FunctionReference constructor;
};
}  // namespace

Napi::Function HistogramWrap::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "Histogram", {
      InstanceAccessor<&HistogramWrap::Mode>("mode"),
      InstanceMethod<&HistogramWrap::Accumulate>("accumulate"),
      InstanceMethod<&HistogramWrap::Stats>("stats"),
      InstanceMethod<&HistogramWrap::Linear>("linear"),
      InstanceMethod<&HistogramWrap::Serialize>("serialize"),
      InstanceMethod<&HistogramWrap::Merge>("merge"),
  });
  auto* data = new InstanceData{Napi::Persistent(ctor)};
  env.SetInstanceData<InstanceData>(data);
  return ctor;
}

bool HistogramWrap::IsInstance(const Napi::Value& value) {
  if (!value.IsObject()) return false;
  auto* data = value.Env().GetInstanceData<InstanceData>();
  return value.As<Napi::Object>().InstanceOf(data->constructor.Value());
}

HistogramWrap::HistogramWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HistogramWrap>(info) {
  histogram_ = makeHistogram(modeArg(info[0]));
}

Napi::Value HistogramWrap::Deserialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "bytes must be a Uint8Array");
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  std::unique_ptr<ValueHistogram> restored;
  try {
    restored = deserializeHistogram(bytes.Data(), bytes.ElementLength());
  } catch (const CorruptData& e) {
    throw Napi::Error::New(env, std::string("corrupt histogram: ") + e.what());
  }
  auto* data = env.GetInstanceData<InstanceData>();
  Napi::Object object = data->constructor.New({Napi::String::New(env, modeName(restored->mode()))});
  HistogramWrap::Unwrap(object)->histogram_ = std::move(restored);
  return object;
}

Napi::Value HistogramWrap::Mode(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), modeName(histogram_->mode()));
}

Napi::Value HistogramWrap::Accumulate(const Napi::CallbackInfo& info) {
  auto values = float32Arg(info[0], "values");
  auto* worker = new AccumulateWorker(info.Env());
  worker->add(Value(), values);
  return worker->queue();
}

Napi::Value HistogramWrap::Stats(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> guard(mutex_);
  return statsToObject(info.Env(), *histogram_);
}

Napi::Value HistogramWrap::Linear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "bins must be a number");
  const double bins = info[0].As<Napi::Number>().DoubleValue();
  if (!(bins >= 1 && bins <= (1 << 24)) || bins != static_cast<double>(static_cast<int64_t>(bins))) {
    throw Napi::RangeError::New(env, "bins must be an integer in [1, 2^24]");
  }
  std::lock_guard<std::mutex> guard(mutex_);
  const double amax = amaxArg(info[1], histogram_->defaultAmax());
  return toFloat64Array(env, histogram_->linear(static_cast<size_t>(bins), amax));
}

Napi::Value HistogramWrap::Serialize(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> guard(mutex_);
  return toUint8Array(info.Env(), histogram_->serialize());
}

// Only exact histograms are sums; a TensorRT-mode histogram depends on the batch order.
Napi::Value HistogramWrap::Merge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!IsInstance(info[0])) throw Napi::TypeError::New(env, "other must be a Histogram");
  HistogramWrap* other = Unwrap(info[0].As<Napi::Object>());
  if (other == this) throw Napi::Error::New(env, "a histogram cannot be merged into itself");
  std::scoped_lock guard(mutex_, other->mutex_);
  if (histogram_->mode() != HistogramMode::kExact || other->histogram_->mode() != HistogramMode::kExact) {
    throw Napi::Error::New(env, "only exact histograms can be merged");
  }
  static_cast<ExactHistogram&>(*histogram_).merge(static_cast<const ExactHistogram&>(*other->histogram_));
  return env.Undefined();
}

}  // namespace int8cal
