#include "batch_handoff.h"

#include <utility>

namespace int8cal {

BatchHandOff::BatchHandOff(size_t capacity, std::function<bool()> request)
    : capacity_(capacity == 0 ? 1 : capacity), request_(std::move(request)) {}

HandOffResult BatchHandOff::next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (queue_.empty() && state_ == State::kOpen && !asked_) {
    asked_ = true;
    ++requests_;
    lock.unlock();
    const bool sent = request_();
    lock.lock();
    if (!sent && state_ == State::kOpen) {
      state_ = State::kFailed;
      message_ = "the batch source is gone (JavaScript side closed)";
    }
  }
  // A cancelled or failed hand-off stops at once; an ended one still drains its queue.
  const auto ready = [this] {
    return state_ == State::kCancelled || state_ == State::kFailed || !queue_.empty() || closedLocked();
  };
  if (!changed_.wait_until(lock, deadline, ready)) {
    state_ = State::kTimedOut;
    message_ = "no batch arrived within " + std::to_string(timeout.count()) + " ms";
    return {HandOffStatus::kTimeout, {}, message_};
  }
  if (state_ == State::kCancelled) return {HandOffStatus::kCancelled, {}, message_};
  if (state_ == State::kFailed) return {HandOffStatus::kError, {}, message_};
  if (state_ == State::kTimedOut) return {HandOffStatus::kTimeout, {}, message_};
  if (!queue_.empty()) {
    HandOffResult result{HandOffStatus::kBatch, std::move(queue_.front()), {}};
    queue_.pop_front();
    return result;
  }
  return {HandOffStatus::kEnd, {}, {}};
}

bool BatchHandOff::deliver(std::vector<float> batch) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closedLocked() || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(batch));
    asked_ = false;
    ++delivered_;
  }
  changed_.notify_all();
  return true;
}

void BatchHandOff::end() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closedLocked()) return;
    state_ = State::kEnded;
    asked_ = false;
  }
  changed_.notify_all();
}

void BatchHandOff::fail(std::string message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::kCancelled || state_ == State::kTimedOut || state_ == State::kFailed) return;
    state_ = State::kFailed;
    message_ = std::move(message);
    queue_.clear();
  }
  changed_.notify_all();
}

void BatchHandOff::cancel(std::string message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::kCancelled) return;
    state_ = State::kCancelled;
    message_ = std::move(message);
    queue_.clear();
  }
  changed_.notify_all();
}

size_t BatchHandOff::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t BatchHandOff::delivered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return delivered_;
}

}  // namespace int8cal
