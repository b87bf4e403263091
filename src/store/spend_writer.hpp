// Gets spend from memory into the database without losing any: batches are written in one
// transaction each and retried with the same batch id until they land; while the database is
// away, batches wait in memory up to a bound, and past it go to a spool file (JSON lines)
// that is replayed, oldest first, once the database answers. Runs on the store thread.
#pragma once

#include "store/store.hpp"

#include <deque>
#include <map>
#include <utility>
#include <string>
#include <vector>

namespace llmux::store {

// Memory an event holds, near enough to bound what waits for the database.
std::size_t approximate_bytes(const SpendEvent& event);

class SpendWriter {
 public:
  // max_pending_bytes: how much spend may wait in memory (approximate_bytes of its events)
  // before the oldest batches are spooled.
  SpendWriter(Store& store, std::string spool_path, std::size_t max_pending_bytes);

  // Queues events as one batch (written at the next flush).
  void add(std::vector<SpendEvent> events);
  // Writes the spool, then every queued batch, oldest first; stops at the first failure.
  // Returns true when nothing is left waiting.
  bool flush();
  // Moves every queued batch to the spool file (shutdown with the database away).
  void spool_all();

  std::size_t pending_events() const { return pending_events_; }
  std::size_t pending_bytes() const { return pending_bytes_; }
  // Spend per key written from the spool since the last call: it came from an earlier run, so
  // this run's live key spend does not hold it yet.
  std::map<std::string, double> take_replayed_spend() { return std::exchange(replayed_spend_, {}); }
  bool has_spool() const;
  const std::string& spool_path() const { return spool_path_; }

 private:
  struct Batch {
    std::string id;
    std::vector<SpendEvent> events;
    std::size_t bytes = 0;
  };
  void drop_front();
  bool write(const Batch& batch);
  bool replay_spool();
  void append_to_spool(const Batch& batch);
  void append_to_file(const std::string& path, const Batch& batch);
  void set_aside(const Batch& batch, const std::string& why);

  Store& store_;
  std::string spool_path_;
  std::size_t max_pending_bytes_;
  std::deque<Batch> pending_;
  std::size_t pending_events_ = 0;
  std::size_t pending_bytes_ = 0;
  std::map<std::string, double> replayed_spend_;
};

}  // namespace llmux::store
