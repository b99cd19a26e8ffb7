// A TensorRT logger that keeps warnings and errors for build.json (and the user), thread-safe:
// TensorRT logs from its builder threads.
#pragma once

#include <NvInfer.h>

#include <mutex>
#include <string>
#include <vector>

namespace int8cal {

class CollectingLogger : public nvinfer1::ILogger {
 public:
  void log(Severity severity, nvinfer1::AsciiChar const* msg) noexcept override {
    if (severity > Severity::kWARNING) return;
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      (severity == Severity::kWARNING ? warnings_ : errors_).emplace_back(msg);
    } catch (...) {  // a logger must not throw into TensorRT
    }
  }
  std::vector<std::string> warnings() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return warnings_;
  }
  std::vector<std::string> errors() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return errors_;
  }
  std::string lastError() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return errors_.empty() ? std::string() : errors_.back();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> warnings_, errors_;
};

}  // namespace int8cal
