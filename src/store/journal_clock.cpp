#include "store/journal_clock.hpp"

namespace llmux::store {

namespace {

class SteadyJournalClock final : public JournalClock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }

  bool wait_for(std::condition_variable& wake, std::unique_lock<std::mutex>& lock, duration timeout,
                const std::function<bool()>& woken) override {
    return wake.wait_for(lock, timeout, [&woken] { return woken(); });
  }
};

}  // namespace

JournalClock& steady_journal_clock() {
  static SteadyJournalClock clock;
  return clock;
}

}  // namespace llmux::store
