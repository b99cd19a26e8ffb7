// The JavaScript `Histogram` object: one native ValueHistogram ("exact" or "trt") behind a
// mutex, so a worker thread and the JS thread never touch it at the same time.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

#include "../core/value_histogram.h"

namespace int8cal {

class HistogramWrap : public Napi::ObjectWrap<HistogramWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  /** True if `value` is a Histogram created by this addon instance. */
  static bool IsInstance(const Napi::Value& value);
  /** deserializeHistogram(bytes: Uint8Array): Histogram */
  static Napi::Value Deserialize(const Napi::CallbackInfo& info);

  explicit HistogramWrap(const Napi::CallbackInfo& info);

  /** Held while reading or changing the histogram. */
  std::mutex& lock() { return mutex_; }
  ValueHistogram& histogram() { return *histogram_; }

 private:
  Napi::Value Mode(const Napi::CallbackInfo& info);
  Napi::Value Accumulate(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Linear(const Napi::CallbackInfo& info);
  Napi::Value Serialize(const Napi::CallbackInfo& info);
  Napi::Value Merge(const Napi::CallbackInfo& info);

  std::mutex mutex_;
  std::unique_ptr<ValueHistogram> histogram_;
};

}  // namespace int8cal
