// One AsyncWorker folding one or many (histogram, Float32Array) pairs off the JS thread. The
// worker holds references to every histogram and array until it finishes, so neither can be
// collected while the worker reads them.
#pragma once

#include <napi.h>

#include <vector>

namespace int8cal {

class HistogramWrap;

class AccumulateWorker : public Napi::AsyncWorker {
 public:
  explicit AccumulateWorker(Napi::Env env);
  /** Adds a job; `histogram` must be a HistogramWrap object. Call on the JS thread. */
  void add(Napi::Value histogram, Napi::TypedArrayOf<float> values);
  /** Queues the worker and returns its promise (resolves to undefined). */
  Napi::Promise queue();

  /** accumulateMany(pairs: Array<[Histogram, Float32Array]>): Promise<void> */
  static Napi::Value AccumulateMany(const Napi::CallbackInfo& info);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  struct Job {
    HistogramWrap* histogram;
    const float* values;
    size_t count;
  };
  Napi::Promise::Deferred deferred_;
  std::vector<Job> jobs_;
  std::vector<Napi::ObjectReference> keepAlive_;
};

}  // namespace int8cal
