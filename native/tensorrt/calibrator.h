// The IInt8EntropyCalibrator2 / IInt8MinMaxCalibrator bridge: getBatch (TensorRT's builder
// thread) waits on a BatchHandOff that JavaScript fills, copies the batch to device memory and
// returns. The cache bytes in and out are TensorRT's text format, parsed and written by the
// TypeScript codec (calibrators/cache.ts), not here.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "batch_handoff.h"
#include "trt_library.h"

namespace int8cal {

/** What the calibrator saw, for the build's result (getBatch calls are asserted in int8cal mode). */
struct CalibrationTrace {
  size_t getBatchCalls = 0;
  size_t batches = 0;
  HandOffStatus finalStatus = HandOffStatus::kEnd;
  std::string message;
  std::vector<uint8_t> writtenCache;
};

template <typename Base>
class BridgeCalibrator final : public Base {
 public:
  BridgeCalibrator(std::shared_ptr<BatchHandOff> handOff, size_t batchElements, std::vector<uint8_t> cache,
                   std::chrono::milliseconds timeout)
      : handOff_(std::move(handOff)), elements_(batchElements), cache_(std::move(cache)), timeout_(timeout) {}
  ~BridgeCalibrator() override {
    if (device_) libraries().cuda.free(device_);
  }

  int32_t getBatchSize() const noexcept override { return 1; }

  bool getBatch(void* bindings[], char const* names[], int32_t nbBindings) noexcept override {
    (void)names;
    ++trace_.getBatchCalls;
    if (nbBindings != 1) return stop(HandOffStatus::kError, "the model has " + std::to_string(nbBindings) + " inputs; the bridge feeds one image input");
    HandOffResult next = handOff_->next(timeout_);
    if (next.status != HandOffStatus::kBatch) return stop(next.status, next.message);
    if (next.data.size() != elements_) {
      return stop(HandOffStatus::kError, "batch has " + std::to_string(next.data.size()) + " values, the input needs " + std::to_string(elements_));
    }
    const auto& cuda = libraries().cuda;
    if (!device_ && cuda.malloc(&device_, elements_ * sizeof(float)) != cudaSuccess) return stop(HandOffStatus::kError, "cudaMalloc failed");
    if (cuda.memcpy(device_, next.data.data(), elements_ * sizeof(float), cudaMemcpyHostToDevice) != cudaSuccess) {
      return stop(HandOffStatus::kError, "cudaMemcpy of a calibration batch failed");
    }
    bindings[0] = device_;
    ++trace_.batches;
    return true;
  }

  void const* readCalibrationCache(std::size_t& length) noexcept override {
    length = cache_.size();
    return cache_.empty() ? nullptr : cache_.data();
  }

  void writeCalibrationCache(void const* ptr, std::size_t length) noexcept override {
    try {
      const auto* bytes = static_cast<const uint8_t*>(ptr);
      trace_.writtenCache.assign(bytes, bytes + length);
    } catch (...) {
    }
  }

  const CalibrationTrace& trace() const { return trace_; }

 private:
  bool stop(HandOffStatus status, std::string message) {
    trace_.finalStatus = status;
    trace_.message = std::move(message);
    return false;
  }

  std::shared_ptr<BatchHandOff> handOff_;
  size_t elements_;
  std::vector<uint8_t> cache_;
  std::chrono::milliseconds timeout_;
  void* device_ = nullptr;
  CalibrationTrace trace_;
};

using EntropyBridge = BridgeCalibrator<nvinfer1::IInt8EntropyCalibrator2>;
using MinMaxBridge = BridgeCalibrator<nvinfer1::IInt8MinMaxCalibrator>;

}  // namespace int8cal
