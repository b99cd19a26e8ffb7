#include "accumulate_worker.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common.h"
#include "histogram_wrap.h"

namespace int8cal {

AccumulateWorker::AccumulateWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}

void AccumulateWorker::add(Napi::Value histogram, Napi::TypedArrayOf<float> values) {
  keepAlive_.push_back(Napi::Persistent(histogram.As<Napi::Object>()));
  keepAlive_.push_back(Napi::Persistent(static_cast<Napi::Object>(values)));
  jobs_.push_back({HistogramWrap::Unwrap(histogram.As<Napi::Object>()), values.Data(), values.ElementLength()});
}

Napi::Promise AccumulateWorker::queue() {
  Napi::Promise promise = deferred_.Promise();
  Queue();
  return promise;
}

// Calibration folds hundreds of tensors per batch: spread them over the cores. Jobs of one
// histogram stay together and in call order (the TensorRT-mode histogram depends on order).
void AccumulateWorker::Execute() {
  std::map<HistogramWrap*, std::vector<const Job*>> byHistogram;
  for (const Job& job : jobs_) byHistogram[job.histogram].push_back(&job);
  std::vector<const std::vector<const Job*>*> groups;
  for (const auto& entry : byHistogram) groups.push_back(&entry.second);
  std::atomic<size_t> next{0};
  std::mutex errorLock;
  std::string error;
  auto work = [&] {
    for (size_t g; (g = next++) < groups.size();) {
      try {
        for (const Job* job : *groups[g]) {
          std::lock_guard<std::mutex> guard(job->histogram->lock());
          job->histogram->histogram().accumulate(job->values, job->count);
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> guard(errorLock);
        if (error.empty()) error = e.what();
      }
    }
  };
  const size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), groups.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (!error.empty()) SetError(error);
}

void AccumulateWorker::OnOK() { deferred_.Resolve(Env().Undefined()); }

void AccumulateWorker::OnError(const Napi::Error& error) { deferred_.Reject(error.Value()); }

Napi::Value AccumulateWorker::AccumulateMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "pairs must be an array");
  Napi::Array pairs = info[0].As<Napi::Array>();
  auto* worker = new AccumulateWorker(env);
  try {
    for (uint32_t i = 0; i < pairs.Length(); ++i) {
      Napi::Value pair = pairs.Get(i);
      const std::string where = "pairs[" + std::to_string(i) + "]";
      if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2) {
        throw Napi::TypeError::New(env, where + " must be [Histogram, Float32Array]");
      }
      Napi::Value histogram = pair.As<Napi::Array>().Get(0u);
      if (!HistogramWrap::IsInstance(histogram)) throw Napi::TypeError::New(env, where + "[0] must be a Histogram");
      worker->add(histogram, float32Arg(pair.As<Napi::Array>().Get(1u), (where + "[1]").c_str()));
    }
  } catch (...) {
    delete worker;  // never queued
    throw;
  }
  return worker->queue();
}

}  // namespace int8cal
