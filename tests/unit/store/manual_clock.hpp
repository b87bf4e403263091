// A JournalClock for tests: time moves only when the test says so, and the test can wait until
// the journal's indexer thread has nothing left to do (instead of sleeping and hoping it did).
#pragma once

#include "store/journal_clock.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace llmux::store {

class ManualClock final : public JournalClock {
 public:
  time_point now() const override {
    const std::lock_guard lock(mutex_);
    return now_;
  }

  // Moves time on; a wait whose timeout has passed by then returns.
  void advance(duration step) {
    std::vector<Waiter> waiting;
    {
      const std::lock_guard lock(mutex_);
      now_ += step;
      waiting = waiters_;
    }
    for (const auto& waiter : waiting) {
      // Taken and released, so that a waiter between its check of the time and its wait is in
      // its wait before the notify comes.
      { const std::lock_guard lock(*waiter.mutex); }
      waiter.wake->notify_all();
    }
  }

  bool wait_for(std::condition_variable& wake, std::unique_lock<std::mutex>& lock, duration timeout,
                const std::function<bool()>& woken) override {
    std::uint64_t id = 0;
    time_point until;
    {
      const std::lock_guard own(mutex_);
      id = ++last_id_;
      until = now_ + timeout;
      waiters_.push_back(
          {.id = id, .wake = &wake, .mutex = lock.mutex(), .woken = &woken, .until = until});
      ++changes_;
    }
    changed_.notify_all();
    wake.wait(lock, [&] { return woken() || now() >= until; });
    {
      const std::lock_guard own(mutex_);
      std::erase_if(waiters_, [id](const Waiter& waiter) { return waiter.id == id; });
      ++changes_;
    }
    changed_.notify_all();
    return woken();
  }

  // Waits until `threads` threads are in wait_for with nothing to wake them (their condition
  // false, their timeout not reached): whatever the test did before has been dealt with. False
  // after a minute of real time, so that a test fails instead of hanging.
  bool await_idle(std::size_t threads = 1) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    for (;;) {
      std::vector<Waiter> waiting;
      std::uint64_t seen = 0;
      {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_until(lock, give_up, [&] { return waiters_.size() >= threads; }))
          return false;
        waiting = waiters_;
        seen = changes_;
      }
      if (std::ranges::all_of(waiting, [&](const Waiter& waiter) { return is_idle(waiter); }))
        return true;
      std::unique_lock lock(mutex_);
      if (!changed_.wait_until(lock, give_up, [&] { return changes_ != seen; })) return false;
    }
  }

 private:
  struct Waiter {
    std::uint64_t id;
    std::condition_variable* wake;
    std::mutex* mutex;
    const std::function<bool()>* woken;
    time_point until;
  };

  // With the waiter's own mutex held, it cannot leave wait_for (its condition and frame stay
  // valid) and whoever wakes it has made its condition true already. The order of the locks is
  // the waiter's own (its mutex, then this clock's), so that neither waits for the other.
  bool is_idle(const Waiter& seen) const {
    const std::lock_guard waiter_lock(*seen.mutex);
    const std::lock_guard lock(mutex_);
    const bool still_waiting =
        std::ranges::any_of(waiters_, [&](const Waiter& waiter) { return waiter.id == seen.id; });
    return still_waiting && !(*seen.woken)() && now_ < seen.until;
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // a thread started or stopped waiting
  time_point now_{};
  std::vector<Waiter> waiters_;
  std::uint64_t last_id_ = 0;
  std::uint64_t changes_ = 0;
};

}  // namespace llmux::store
