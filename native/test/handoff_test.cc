// Direct tests of native/tensorrt/batch_handoff, built with g++ by test/native/handoff-cpp.test.ts:
//   g++ -std=c++17 -pthread -Inative/tensorrt native/tensorrt/batch_handoff.cc native/test/handoff_test.cc
// The consumer runs on a worker thread, exactly as TensorRT's builder calls getBatch; the main
// thread plays the JS event loop (requests are posted to it, as through a ThreadSafeFunction).
// Live heap allocations are counted around every scenario. Exit code 0 = pass.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "batch_handoff.h"

#include "check.h"

using namespace int8cal;
using namespace std::chrono_literals;

static std::atomic<long> liveAllocations{0};
void* operator new(size_t size) {
  void* p = std::malloc(size ? size : 1);
  if (!p) throw std::bad_alloc();
  ++liveAllocations;
  return p;
}
void operator delete(void* p) noexcept {
  if (p) --liveAllocations;
  std::free(p);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }

namespace {

using int8cal_test::failures;

/** The "JS thread": a queue of posted calls, drained by pump() on the main thread. */
class EventLoop {
 public:
  bool post(std::function<void()> call) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    calls_.push_back(std::move(call));
    cv_.notify_all();
    return true;
  }
  /** Runs posted calls until `done` is true. */
  void pump(const std::atomic<bool>& done) {
    while (!done) {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, 1ms, [this] { return !calls_.empty(); });
      while (!calls_.empty()) {
        auto call = std::move(calls_.front());
        calls_.pop_front();
        lock.unlock();
        call();
        lock.lock();
      }
    }
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    calls_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> calls_;
  bool closed_ = false;
};

/** A JS-side batch source: batch i is {i, i, …}; `throwAt` makes it throw like a JS error. */
struct Source {
  int count;
  int throwAt = -1;
  bool silent = false;  // never answers (timeout)
  int served = 0;
  void serve(BatchHandOff& handOff) {
    if (silent) return;
    try {
      if (served == throwAt) throw std::runtime_error("image 3 could not be decoded");
      if (served >= count) return handOff.end();
      handOff.deliver(std::vector<float>(16, static_cast<float>(served++)));
    } catch (const std::exception& e) {
      handOff.fail(e.what());
    }
  }
};

/** Runs the consumer on a worker thread until a non-batch result; returns everything it got. */
std::vector<HandOffResult> consume(Source& source, std::chrono::milliseconds timeout,
                                   const std::function<void(BatchHandOff&)>& meanwhile = {}) {
  EventLoop loop;
  std::vector<HandOffResult> got;
  {
    BatchHandOff* self = nullptr;
    BatchHandOff handOff(2, [&] { return loop.post([&] { source.serve(*self); }); });
    self = &handOff;
    std::atomic<bool> done{false};
    std::thread builder([&] {
      for (;;) {
        HandOffResult r = handOff.next(timeout);
        const bool more = r.status == HandOffStatus::kBatch;
        got.push_back(std::move(r));
        if (!more) break;
      }
      done = true;
    });
    if (meanwhile) meanwhile(handOff);
    loop.pump(done);
    builder.join();
    loop.close();
  }
  return got;
}

void deliversInOrderThenEnds() {
  const long before = liveAllocations;
  {
    Source source{50};
    auto got = consume(source, 5000ms);
    CHECK(got.size() == 51, "got %zu results", got.size());
    bool inOrder = true;
    for (int i = 0; i < 50 && i < static_cast<int>(got.size()); ++i) {
      inOrder = inOrder && got[i].status == HandOffStatus::kBatch && got[i].data.size() == 16 && got[i].data[0] == i;
    }
    CHECK(inOrder, "batches out of order");
    CHECK(!got.empty() && got.back().status == HandOffStatus::kEnd, "no end of data");
  }
  CHECK(liveAllocations == before, "%ld allocations leaked", liveAllocations - before);
  std::printf("in order: 50 batches from a worker thread, then end of data\n");
}

void endIsSticky() {
  EventLoop loop;
  BatchHandOff handOff(1, [] { return true; });
  handOff.end();
  CHECK(handOff.next(10ms).status == HandOffStatus::kEnd, "first");
  CHECK(handOff.next(10ms).status == HandOffStatus::kEnd, "second");
  CHECK(handOff.requests() == 0, "asked after end");
  CHECK(!handOff.deliver({1.f}), "delivery after end accepted");
  std::printf("end of data: sticky, no more requests\n");
}

void throwingSource() {
  const long before = liveAllocations;
  {
    Source source{10, 3};
    auto got = consume(source, 5000ms);
    CHECK(got.size() == 4, "got %zu", got.size());
    CHECK(got.back().status == HandOffStatus::kError, "status %d", static_cast<int>(got.back().status));
    CHECK(got.back().message == "image 3 could not be decoded", "message %s", got.back().message.c_str());
  }
  CHECK(liveAllocations == before, "%ld allocations leaked", liveAllocations - before);
  std::printf("throwing source: its message reaches the builder thread\n");
}

void cancellation() {
  const long before = liveAllocations;
  {
    Source source{1000};
    source.silent = true;  // the builder is left waiting…
    const auto start = std::chrono::steady_clock::now();
    auto got = consume(source, 10000ms, [](BatchHandOff& h) {
      std::thread([&h] {
        std::this_thread::sleep_for(20ms);
        h.cancel("interrupted (SIGINT)");  // …until Ctrl-C
      }).detach();
    });
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(got.size() == 1 && got[0].status == HandOffStatus::kCancelled, "not cancelled");
    CHECK(got[0].message == "interrupted (SIGINT)", "message %s", got[0].message.c_str());
    CHECK(waited < 5000ms, "cancel did not wake the waiting builder");
  }
  std::this_thread::sleep_for(20ms);  // the detached canceller has finished
  CHECK(liveAllocations == before, "%ld allocations leaked", liveAllocations - before);
  std::printf("cancellation: wakes the waiting builder at once\n");
}

void timeout() {
  const long before = liveAllocations;
  {
    Source source{5};
    source.silent = true;
    auto got = consume(source, 50ms);
    CHECK(got.size() == 1 && got[0].status == HandOffStatus::kTimeout, "no timeout");
    BatchHandOff late(1, [] { return true; });
    CHECK(late.next(1ms).status == HandOffStatus::kTimeout, "late timeout");
    CHECK(!late.deliver({1.f}), "a batch after the timeout was accepted");
    CHECK(late.next(1ms).status == HandOffStatus::kTimeout, "timeout not sticky");
  }
  CHECK(liveAllocations == before, "%ld allocations leaked", liveAllocations - before);
  std::printf("timeout: reported, sticky, late batches refused\n");
}

void boundedAndGone() {
  BatchHandOff full(2, [] { return true; });
  CHECK(full.deliver({1.f}) && full.deliver({2.f}), "capacity 2");
  CHECK(!full.deliver({3.f}), "third batch accepted beyond capacity");
  CHECK(full.next(1ms).data[0] == 1.f && full.next(1ms).data[0] == 2.f, "FIFO");
  BatchHandOff gone(1, [] { return false; });  // the ThreadSafeFunction was released
  CHECK(gone.next(1000ms).status == HandOffStatus::kError, "source gone");
  std::printf("bounded: capacity respected; a closed source is an error, not a hang\n");
}

}  // namespace

int main() {
  deliversInOrderThenEnds();
  endIsSticky();
  throwingSource();
  cancellation();
  timeout();
  boundedAndGone();
  std::printf(failures ? "%d FAILURE(S)\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
