// Finished calls on their way to the spend log, without the database's work landing on the
// workers' cores while they are busy.
//
// The store thread appends each collected batch to a file, one JSON line per batch (cheap and
// sequential: about a microsecond a call, where an indexed INSERT costs five). An indexer thread
// at idle priority (SCHED_IDLE: it runs only when a core has nothing else to do) writes the lines
// into the database in file order, each in one transaction under its batch id, so a line written
// twice (a crash between commit and truncate) is skipped. A line that waited longer than
// `max_lag` is written by the store thread itself: a gateway saturated for longer than that pays
// for its spend log as it goes, instead of growing the file without end. The file is emptied each
// time the indexer catches up (and under a long overload, its written part is punched out of
// it, so the disk holds about max_lag of calls); whatever is left at exit (the database was away)
// is written at the next start, and that spend is reported as replayed, since the new run's live
// counters do not hold it.
#pragma once

#include "store/journal_clock.hpp"
#include "store/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace llmux::store {

// One journal line: {"batch_id":…,"events":[{…},…]}\n. The format is the one spool files of
// earlier versions used, so a file they left behind is written like any other.
std::string journal_line(const std::string& batch_id, std::span<const SpendEvent> events);
// The batch of a journal line; false when the line is not one (cut short by a crash).
bool parse_journal_line(std::string_view line, std::string& batch_id,
                        std::vector<SpendEvent>& events);

class SpendJournal {
 public:
  // Short lines keep what the indexer holds for one (the line, its parse, the rows) small.
  static constexpr std::size_t kEventsPerLine = 512;
  // Overdue lines the store thread writes per flush, beyond as many as it just appended (so
  // the backlog cannot grow): a few milliseconds, then it goes back to collecting the workers'
  // calls, which pile up in memory while it writes.
  static constexpr std::size_t kOverdueLinesPerFlush = 8;
  // Under a long overload the file is never caught up with (and so never emptied): the part
  // already written is given back to the file system in steps of this size.
  static constexpr std::uint64_t kReleaseStep = 16 << 20;
  // The indexer is woken by each append. Besides, it looks at the file again this often while
  // lines it leaves to the store thread (overdue ones, an earlier run's) hold up the rest, and
  // retries a database that is away this often.
  static constexpr std::chrono::milliseconds kIdleCheck{200};
  static constexpr std::chrono::milliseconds kRetryAway{1'000};

  // `database` is the indexer's own connection (the store thread keeps its own for everything
  // else). Opens or creates the file at `path`; lines left in it are this run's first work.
  // `clock` tells whether a line waited longer than `max_lag`, and times the indexer's waits.
  SpendJournal(std::unique_ptr<Database> database, std::string path,
               std::chrono::milliseconds max_lag, JournalClock& clock = steady_journal_clock());
  ~SpendJournal();
  SpendJournal(const SpendJournal&) = delete;
  SpendJournal& operator=(const SpendJournal&) = delete;

  // Before start(): whether the lines' calls become spend-log rows (false: disable_spend_logs,
  // only the totals are written).
  void keep_spend_log_rows(bool keep) { store_.keep_spend_log_rows(keep); }
  // Told, on the indexer's or the store thread, what went wrong when spend could not be written:
  // the database went away (once per spell, as the warning) or refused a batch.
  using OnWriteFailed = std::function<void(const std::string& what)>;
  // Before start().
  void on_write_failed(OnWriteFailed report) { on_write_failed_ = std::move(report); }
  // Starts the idle-priority indexer thread.
  void start();
  // Stops it (what is left stays in the file; index_all() still works).
  void stop();

  // Store thread. Appends a batch, as lines of at most kEventsPerLine calls; when the indexer
  // holds the file, they are kept and go with the next append (the store thread never waits
  // for an idle thread). append({}) writes what was kept. The calls are also kept in memory,
  // up to kHeldEvents of them, so that the indexer need not parse their lines back.
  void append(std::vector<SpendEvent>&& events);
  // Reading a line back (parsing it, copying the fields out) was about 40 % of what the indexer
  // spent per call; lines whose calls are held skip it. A bound, since an indexer that cannot
  // keep up would otherwise keep every call of the backlog twice: in the file and in memory.
  static constexpr std::size_t kHeldEvents = 1024;
  // Store thread: writes the lines an earlier run left. They are not the indexer's: their spend
  // must reach the live counters (take_replayed_spend) on the thread that loads keys, before it
  // loads one whose database spend already holds it.
  void index_earlier_run();
  // Store thread: writes, at normal priority, the lines that waited longer than max_lag; all of
  // them, or (bounded) as many as were appended since the last call plus kOverdueLinesPerFlush.
  void index_overdue(bool bounded);
  // Every line now, waiting for the indexer if it is mid-line (budget resets, shutdown). True
  // when nothing is left; false when the database refused to answer.
  bool index_all();

  // Spend per key written from an earlier run's lines since the last call.
  std::map<std::string, double> take_replayed_spend();
  // Calls whose spend is in the file and not yet in the database.
  std::size_t unindexed_events();
  const std::string& path() const { return path_; }
  // Removes the file when nothing is left in it (a clean exit).
  void remove_if_empty();

 private:
  enum class Step { written, nothing_left, database_away };
  // A line's calls as the store thread had them. `start` is the line's offset in the file, or,
  // while the line waits in the outbox, its offset in the outbox.
  struct HeldLine {
    std::uint64_t start = 0;
    std::uint64_t length = 0;  // with its newline
    std::string batch_id;
    std::vector<SpendEvent> events;
  };
  struct Appended {
    std::uint64_t end = 0;  // file offset just past the line
    JournalClock::time_point at;
    std::size_t events = 0;
  };

  void run_indexer();
  // Callers hold index_mutex_. Only the store thread passes earlier_run_too. Lines that end
  // past end_limit are left for later.
  Step index_next(bool earlier_run_too, std::uint64_t end_limit = UINT64_MAX);
  // The held calls of the line at `offset`, if they are held (taken out).
  std::optional<HeldLine> take_held(std::uint64_t offset);
  bool read_line(std::uint64_t offset, std::uint64_t end, std::string& line);
  void truncate_if_caught_up();
  void release_written_part();
  void set_aside(std::string_view line, const std::string& why);
  // Logs a failed write at `level` and tells on_write_failed_.
  void write_failed(std::string_view level, const std::string& what);
  bool write_out(std::unique_lock<std::mutex>& file_lock);
  // Callers hold file_mutex_.
  bool overdue_locked(JournalClock::time_point now) const;
  // False when the indexer holds the file lock: the store thread never waits for it.
  bool overdue(JournalClock::time_point now);
  // For the indexer: the file's end, or nothing while a line is overdue (the store thread's).
  std::optional<std::uint64_t> end_unless_overdue();

  Store store_;
  std::string path_;
  std::chrono::milliseconds max_lag_;
  JournalClock& clock_;
  int fd_ = -1;

  // The file's end (what the indexer may read up to) and the lines not yet indexed, oldest first.
  std::mutex file_mutex_;
  std::atomic<std::uint64_t> end_{0};
  std::deque<Appended> appended_;
  // Store thread only: lines that could not be appended yet.
  std::string outbox_;
  std::size_t outbox_events_ = 0;
  std::vector<HeldLine> outbox_held_;
  // Lines in the file whose calls are held, oldest first (under file_mutex_), and how many calls
  // they and the outbox's hold.
  std::deque<HeldLine> held_;
  std::atomic<std::size_t> held_events_{0};
  std::size_t lines_since_overdue_ = 0;

  // The indexer's position and connection, whichever thread indexes.
  std::mutex index_mutex_;
  std::atomic<std::uint64_t> read_{0};
  std::uint64_t released_ = 0;  // the file's first bytes whose disk blocks were given back
  std::atomic<std::uint64_t> earlier_run_end_{0};  // lines before this offset: an earlier run's
  std::map<std::string, double> replayed_spend_;   // store thread only (earlier-run lines)
  bool database_away_ = false;                     // logged once per spell, not at every retry
  OnWriteFailed on_write_failed_;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::uint64_t appends_ = 0;  // writes to the file: the indexer waits until it changes
  bool stopping_ = false;
  std::thread indexer_;
};

}  // namespace llmux::store
