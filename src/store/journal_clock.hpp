// The time the spend journal decides by (which lines waited longer than the lag bound) and the
// waits of its indexer thread, behind one seam: production runs on the steady clock and a
// condition variable's timed wait; a unit test passes a clock it moves by hand, and sees when
// the indexer has nothing left to do (tests/unit/store/manual_clock.hpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace llmux::store {

class JournalClock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~JournalClock() = default;
  virtual time_point now() const = 0;
  // Blocks on `wake` (whose mutex `lock` holds) until `woken()` is true or `timeout` has passed
  // on this clock; returns woken(). `woken` is read under the lock, and whoever makes it true
  // changes what it reads under that lock before notifying `wake`, so no wake-up is missed.
  virtual bool wait_for(std::condition_variable& wake, std::unique_lock<std::mutex>& lock,
                        duration timeout, const std::function<bool()>& woken) = 0;
};

// std::chrono::steady_clock, and condition_variable::wait_for.
JournalClock& steady_journal_clock();

}  // namespace llmux::store
