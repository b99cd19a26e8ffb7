// A bounded hand-off of calibration batches from a producer (the JS thread, which must never
// block) to a consumer that waits (TensorRT's builder thread inside getBatch). Pure C++: no
// TensorRT, no N-API, so it is unit-tested directly (native/test/handoff_test.cc).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace int8cal {

enum class HandOffStatus { kBatch, kEnd, kError, kCancelled, kTimeout };

struct HandOffResult {
  HandOffStatus status;
  std::vector<float> data;  // kBatch only
  std::string message;      // kError / kTimeout / kCancelled: why
};

class BatchHandOff {
 public:
  /**
   * `request` is called by the consumer (outside the lock) when it needs a batch and none is
   * queued or already asked for; it must not block and returns false when the producer is gone.
   */
  BatchHandOff(size_t capacity, std::function<bool()> request);
  BatchHandOff(const BatchHandOff&) = delete;
  BatchHandOff& operator=(const BatchHandOff&) = delete;

  /** Consumer: the next batch in delivery order, or why there is none. Waits at most `timeout`. */
  HandOffResult next(std::chrono::milliseconds timeout);

  /** Producer: queues one batch; false (batch dropped) when full or already closed. */
  bool deliver(std::vector<float> batch);
  /** Producer: no more batches (queued ones are still handed out first). */
  void end();
  /** Producer: the source failed; the consumer's next call returns kError with `message`. */
  void fail(std::string message);
  /** Anyone: stop now (Ctrl-C, build aborted); waiting and later calls return kCancelled. */
  void cancel(std::string message = "cancelled");

  size_t requests() const;
  size_t delivered() const;

 private:
  enum class State { kOpen, kEnded, kFailed, kCancelled, kTimedOut };
  bool closedLocked() const { return state_ != State::kOpen; }

  const size_t capacity_;
  const std::function<bool()> request_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<float>> queue_;
  State state_ = State::kOpen;
  std::string message_;
  bool asked_ = false;  // a request is outstanding
  size_t requests_ = 0;
  size_t delivered_ = 0;
};

}  // namespace int8cal
