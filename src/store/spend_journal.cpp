#include "store/spend_journal.hpp"

#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "store/private_file.hpp"
#include "telemetry/log.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace llmux::store {

namespace json = boost::json;

namespace {

// Written by hand, not through a json::object: this runs on the store thread for every call
// and is most of what the spend log costs while the gateway is busy.
void append_event(std::string& out, const SpendEvent& event) {
  const auto text = [&out](std::string_view name, std::string_view value) {
    out += name;
    append_json_string(out, value);
  };
  const auto number = [&out](std::string_view name, auto value) {
    out += name;
    append_number(out, value);
  };
  const auto optional_text = [&](std::string_view name, const std::optional<std::string>& value) {
    if (value) return text(name, *value);
    out += name;
    out += "null";
  };
  text("{\"request_id\":", event.request_id);
  text(",\"response_id\":", event.response_id);
  text(",\"call_type\":", event.call_type);
  text(",\"api_key\":", event.api_key);
  number(",\"spend\":", event.spend);
  number(",\"prompt_tokens\":", event.prompt_tokens);
  number(",\"completion_tokens\":", event.completion_tokens);
  number(",\"start_time\":", event.start_time);
  number(",\"end_time\":", event.end_time);
  if (event.completion_start_time) {
    number(",\"completion_start_time\":", *event.completion_start_time);
  } else {
    out += ",\"completion_start_time\":null";
  }
  text(",\"model\":", event.model);
  text(",\"model_group\":", event.model_group);
  text(",\"model_id\":", event.model_id);
  text(",\"provider\":", event.provider);
  text(",\"user_id\":", event.user_id);
  text(",\"team_id\":", event.team_id);
  text(",\"end_user\":", event.end_user);
  text(",\"status\":", event.status);
  out += event.cache_hit ? ",\"cache_hit\":true,\"tags\":[" : ",\"cache_hit\":false,\"tags\":[";
  for (std::size_t n = 0; n < event.tags.size(); ++n) {
    if (n) out += ',';
    append_json_string(out, event.tags[n]);
  }
  text("],\"metadata\":", event.metadata);
  optional_text(",\"messages\":", event.messages);
  optional_text(",\"response\":", event.response);
  out += '}';
}

// The text members of a journal event, by name.
constexpr std::pair<std::string_view, std::string SpendEvent::*> kTextFields[] = {
    {"request_id", &SpendEvent::request_id}, {"response_id", &SpendEvent::response_id},
    {"call_type", &SpendEvent::call_type},   {"api_key", &SpendEvent::api_key},
    {"model", &SpendEvent::model},           {"model_group", &SpendEvent::model_group},
    {"model_id", &SpendEvent::model_id},     {"provider", &SpendEvent::provider},
    {"user_id", &SpendEvent::user_id},       {"team_id", &SpendEvent::team_id},
    {"end_user", &SpendEvent::end_user},     {"status", &SpendEvent::status},
    {"metadata", &SpendEvent::metadata}};
constexpr std::pair<std::string_view, std::int64_t SpendEvent::*> kIntegerFields[] = {
    {"prompt_tokens", &SpendEvent::prompt_tokens},
    {"completion_tokens", &SpendEvent::completion_tokens},
    {"start_time", &SpendEvent::start_time},
    {"end_time", &SpendEvent::end_time}};

// One pass over the event's members (a lookup per field hashed a name 23 times per call). A
// member that is missing or of another type leaves its field empty (0, "", none).
SpendEvent event_from(const json::object& object) {
  SpendEvent event;
  event.metadata.clear();
  for (const auto& member : object) {
    const std::string_view key = member.key();
    const json::value& value = member.value();
    if (const auto* text = value.if_string()) {
      for (const auto& [name, field] : kTextFields) {
        if (key == name) {
          event.*field = std::string(*text);
          break;
        }
      }
      if (key == "messages") event.messages = std::string(*text);
      if (key == "response") event.response = std::string(*text);
    } else if (const auto* integer = value.if_int64()) {
      for (const auto& [name, field] : kIntegerFields) {
        if (key == name) {
          event.*field = *integer;
          break;
        }
      }
      if (key == "completion_start_time") event.completion_start_time = *integer;
    }
    if (key == "spend" && value.is_number()) event.spend = value.to_number<double>();
    if (key == "cache_hit" && value.is_bool()) event.cache_hit = value.get_bool();
    if (key == "tags" && value.is_array()) {
      for (const auto& tag : value.get_array()) {
        if (tag.is_string()) event.tags.emplace_back(tag.get_string());
      }
    }
  }
  return event;
}

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string journal_line(const std::string& batch_id, std::span<const SpendEvent> events) {
  std::string line;
  line.reserve(64 + events.size() * 640);
  line += "{\"batch_id\":";
  append_json_string(line, batch_id);
  line += ",\"events\":[";
  for (std::size_t n = 0; n < events.size(); ++n) {
    if (n) line += ',';
    append_event(line, events[n]);
  }
  line += "]}\n";
  return line;
}

bool parse_journal_line(std::string_view line, std::string& batch_id,
                        std::vector<SpendEvent>& events) {
  boost::system::error_code ec;
  // One arena per line: the line's few thousand nodes are allocated from a few blocks and freed
  // at once, not one by one (8 % of what reading a line cost the indexer).
  json::monotonic_resource arena;
  const json::value value = json::parse(line, ec, &arena);
  if (ec || !value.is_object()) return false;
  const json::object& batch = value.as_object();
  const auto* listed = batch.if_contains("events");
  const auto* id = batch.if_contains("batch_id");
  batch_id = id && id->is_string() ? std::string(id->get_string()) : std::string();
  if (batch_id.empty() || !listed || !listed->is_array()) return false;
  events.clear();
  for (const auto& event : listed->as_array()) {
    if (event.is_object()) events.push_back(event_from(event.as_object()));
  }
  return true;
}

SpendJournal::SpendJournal(std::unique_ptr<Database> database, std::string path,
                           std::chrono::milliseconds max_lag, JournalClock& clock)
    : store_(std::move(database)), path_(std::move(path)), max_lag_(max_lag), clock_(clock) {
  fd_ = open_private_file(path_, O_RDWR | O_APPEND);
  if (fd_ < 0) throw DatabaseError(system_error("cannot open the spend journal " + path_), false);
  struct stat status {};
  if (::fstat(fd_, &status) != 0) {
    const std::string error = system_error("cannot read the spend journal " + path_);
    ::close(fd_);
    throw DatabaseError(error, false);
  }
  std::uint64_t size = static_cast<std::uint64_t>(status.st_size);
  if (size > 0) {
    char last = '\n';
    if (::pread(fd_, &last, 1, static_cast<off_t>(size - 1)) == 1 && last != '\n') {
      // A line cut by a crash: ended here so that it is set aside on its own, not glued to the
      // next batch.
      if (::write(fd_, "\n", 1) == 1) ++size;
    }
  }
  end_ = size;
  earlier_run_end_ = size;
  // An earlier run's lines: counted now so that unindexed_events() and the lag cover them too.
  const auto now = clock_.now();
  std::string line, batch_id;
  std::vector<SpendEvent> events;
  for (std::uint64_t offset = 0; offset < size && read_line(offset, size, line);
       offset += line.size() + 1) {
    events.clear();
    parse_journal_line(line, batch_id, events);
    appended_.push_back({offset + line.size() + 1, now, events.size()});
  }
  if (size > 0) {
    telemetry::log_now("info", "writing the spend of " + std::to_string(unindexed_events()) +
                                   " calls left by an earlier run in " + path_);
  }
}

SpendJournal::~SpendJournal() {
  stop();
  if (fd_ >= 0) ::close(fd_);
}

void SpendJournal::start() {
  indexer_ = std::thread([this] { run_indexer(); });
}

void SpendJournal::stop() {
  {
    const std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (indexer_.joinable()) indexer_.join();
}

void SpendJournal::run_indexer() {
  const sched_param priority{};
  if (const int failed = pthread_setschedparam(pthread_self(), SCHED_IDLE, &priority);
      failed != 0) {
    telemetry::log_now("warning", "the spend indexer runs at normal priority: " +
                                      std::string(std::strerror(failed)));
  }
  std::unique_lock lock(wake_mutex_);
  for (;;) {
    if (stopping_) return;
    // An append after this point wakes the wait below, even one made while this pass runs.
    const std::uint64_t appends_seen = appends_;
    lock.unlock();
    Step step;
    {
      const std::lock_guard index(index_mutex_);
      // Overdue lines are the store thread's: a line started now could be starved mid-way while
      // the core is busy, and the store thread would wait for it (and the database's write lock).
      // The end is taken with the check, so that a line appended (and overdue) right after it
      // is not started either.
      const auto end = end_unless_overdue();
      step = end ? index_next(/*earlier_run_too=*/false, *end) : Step::nothing_left;
    }
    lock.lock();
    if (step == Step::written) continue;
    clock_.wait_for(wake_, lock, step == Step::database_away ? kRetryAway : kIdleCheck,
                    [&] { return stopping_ || appends_ != appends_seen; });
  }
}

void SpendJournal::append(std::vector<SpendEvent>&& events) {
  const std::span<SpendEvent> all(events);
  for (std::size_t first = 0; first < all.size(); first += kEventsPerLine) {
    const auto line_events = all.subspan(first, std::min(kEventsPerLine, all.size() - first));
    std::string batch_id = make_uuid();
    const std::uint64_t start = outbox_.size();
    outbox_ += journal_line(batch_id, line_events);
    ++lines_since_overdue_;
    // held_events_ is read here without file_mutex_: only this thread adds to it, so it is at
    // most overstated by what the indexer took meanwhile.
    if (held_events_ + line_events.size() <= kHeldEvents) {
      held_events_ += line_events.size();
      outbox_held_.push_back({start,
                              outbox_.size() - start,
                              std::move(batch_id),
                              {std::make_move_iterator(line_events.begin()),
                               std::make_move_iterator(line_events.end())}});
    }
  }
  outbox_events_ += events.size();
  if (outbox_.empty()) return;
  // The indexer holds the file lock for moments only, unless it is starved right then: a few
  // tries, and otherwise the lines go with the next append (or the next maintenance tick).
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::unique_lock lock(file_mutex_, std::try_to_lock);
    if (lock) {
      write_out(lock);
      return;
    }
    std::this_thread::yield();
  }
}

bool SpendJournal::write_out(std::unique_lock<std::mutex>& file_lock) {
  std::size_t written = 0;
  while (written < outbox_.size()) {
    const ssize_t n = ::write(fd_, outbox_.data() + written, outbox_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Nothing is lost yet: the lines stay in memory and the next append tries again, after
      // what part of them made it into the file is cut off again (a disk that is full).
      telemetry::log_now("error", system_error("cannot append to the spend journal " + path_) +
                                      "; the spend of " + std::to_string(outbox_events_) +
                                      " calls waits in memory");
      if (written > 0 && ::ftruncate(fd_, static_cast<off_t>(end_.load())) != 0) {
        telemetry::log_now("error", system_error("cannot cut a partial line off " + path_));
      }
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  const std::uint64_t outbox_start = end_.load();
  end_ += written;
  appended_.push_back({end_.load(), clock_.now(), outbox_events_});
  for (auto& line : outbox_held_) {
    line.start += outbox_start;
    held_.push_back(std::move(line));
  }
  outbox_held_.clear();
  outbox_ = std::string();  // a burst's megabytes are not kept for the next, smaller one
  outbox_events_ = 0;
  file_lock.unlock();
  {
    const std::lock_guard lock(wake_mutex_);
    ++appends_;
  }
  wake_.notify_one();
  return true;
}

bool SpendJournal::read_line(std::uint64_t offset, std::uint64_t end, std::string& line) {
  line.clear();
  char buffer[64 * 1024];
  while (offset < end) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, end - offset));
    const ssize_t n = ::pread(fd_, buffer, want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    const std::string_view chunk(buffer, static_cast<std::size_t>(n));
    if (const auto newline = chunk.find('\n'); newline != std::string_view::npos) {
      line.append(chunk.substr(0, newline));
      return true;
    }
    line.append(chunk);
    offset += static_cast<std::uint64_t>(n);
  }
  return false;
}

SpendJournal::Step SpendJournal::index_next(bool earlier_run_too, std::uint64_t end_limit) {
  const std::uint64_t end = std::min(end_.load(std::memory_order_acquire), end_limit);
  const std::uint64_t offset = read_.load(std::memory_order_relaxed);
  if (!earlier_run_too && offset < earlier_run_end_) return Step::nothing_left;
  if (offset >= end) return Step::nothing_left;
  std::string line;
  std::string batch_id;
  std::vector<SpendEvent> events;
  std::uint64_t next = 0;
  bool parsed = true;
  if (auto held = take_held(offset)) {
    batch_id = std::move(held->batch_id);
    events = std::move(held->events);
    next = offset + held->length;
  } else {
    if (!read_line(offset, end, line)) return Step::nothing_left;
    next = offset + line.size() + 1;
    parsed = parse_journal_line(line, batch_id, events);
  }
  if (!parsed) {
    set_aside(line, "not a spend batch (a line cut short by a crash?)");
  } else {
    try {
      store_.database().reconnect();
      // false: the batch landed before (its line outlived a crash); its spend is counted.
      if (store_.write_spend(batch_id, events) && offset < earlier_run_end_) {
        for (const auto& event : events) {
          if (!event.api_key.empty()) replayed_spend_[event.api_key] += event.spend;
        }
      }
      database_away_ = false;
    } catch (const DatabaseError& error) {
      if (error.transient || !store_.database().reconnect()) {
        if (!std::exchange(database_away_, true)) {
          write_failed("warning", "spend of " + std::to_string(events.size()) +
                                      " calls not written yet, will retry: " + error.what());
        }
        return Step::database_away;
      }
      // The database is up and refuses this batch (a bug, or data it cannot hold): retrying
      // would block every later batch, so it is set aside in a file for a person to look at.
      if (line.empty()) read_line(offset, end, line);
      set_aside(line, error.what());
    }
  }
  read_.store(next, std::memory_order_release);
  truncate_if_caught_up();
  release_written_part();
  return Step::written;
}

std::optional<SpendJournal::HeldLine> SpendJournal::take_held(std::uint64_t offset) {
  const std::lock_guard lock(file_mutex_);
  // Lines before `offset` were indexed from the file (their calls were held after an attempt
  // found the database away, say): their held calls are of no more use.
  while (!held_.empty() && held_.front().start < offset) {
    held_events_ -= held_.front().events.size();
    held_.pop_front();
  }
  if (held_.empty() || held_.front().start != offset) return std::nullopt;
  HeldLine line = std::move(held_.front());
  held_.pop_front();
  held_events_ -= line.events.size();
  return line;
}

void SpendJournal::release_written_part() {
  const std::uint64_t read = read_.load(std::memory_order_relaxed);
  if (read < released_ + kReleaseStep) return;
  const std::uint64_t upto = read & ~std::uint64_t{4095};  // whole file-system blocks
  // Offsets stay as they are (the file keeps its size, with a hole where the written lines
  // were). A file system without holes keeps the blocks until the file is emptied.
  ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(released_),
              static_cast<off_t>(upto - released_));
  released_ = upto;
}

void SpendJournal::truncate_if_caught_up() {
  // The store thread holds this lock only for a write(), so the wait is short.
  const std::lock_guard lock(file_mutex_);
  const std::uint64_t read = read_.load(std::memory_order_relaxed);
  while (!appended_.empty() && appended_.front().end <= read) appended_.pop_front();
  if (read != end_.load(std::memory_order_relaxed)) return;
  if (::ftruncate(fd_, 0) != 0) return;  // the file keeps growing until a later truncate works
  for (const auto& line : held_) held_events_ -= line.events.size();  // offsets start again
  held_.clear();
  end_ = 0;
  read_ = 0;
  released_ = 0;
  earlier_run_end_ = 0;
}

bool SpendJournal::overdue_locked(JournalClock::time_point now) const {
  return !appended_.empty() && now - appended_.front().at > max_lag_;
}

bool SpendJournal::overdue(JournalClock::time_point now) {
  const std::unique_lock lock(file_mutex_, std::try_to_lock);
  return lock && overdue_locked(now);
}

std::optional<std::uint64_t> SpendJournal::end_unless_overdue() {
  const std::lock_guard lock(file_mutex_);
  if (overdue_locked(clock_.now())) return std::nullopt;
  return end_.load(std::memory_order_relaxed);
}

void SpendJournal::index_earlier_run() {
  if (earlier_run_end_ == 0) return;
  const std::lock_guard index(index_mutex_);
  while (read_ < earlier_run_end_ && index_next(/*earlier_run_too=*/true) == Step::written) {
  }
}

void SpendJournal::index_overdue(bool bounded) {
  const std::size_t appended = std::exchange(lines_since_overdue_, 0);
  if (!overdue(clock_.now())) return;
  // Not waiting: the indexer may be starved mid-line right now. It starts no line while one is
  // overdue, so once it finished this one, the next call gets the lock.
  const std::unique_lock index(index_mutex_, std::try_to_lock);
  if (!index) return;
  const std::size_t budget = bounded ? kOverdueLinesPerFlush + appended : SIZE_MAX;
  for (std::size_t lines = 0; lines < budget && overdue(clock_.now()); ++lines) {
    if (index_next(/*earlier_run_too=*/false) != Step::written) return;
  }
}

bool SpendJournal::index_all() {
  {
    std::unique_lock lock(file_mutex_);
    if (!outbox_.empty() && !write_out(lock)) return false;
  }
  const std::lock_guard index(index_mutex_);
  for (;;) {
    switch (index_next(/*earlier_run_too=*/true)) {
      case Step::written: continue;
      case Step::nothing_left: return true;
      case Step::database_away: return false;
    }
  }
}

std::map<std::string, double> SpendJournal::take_replayed_spend() {
  // No lock: only the store thread indexes an earlier run's lines (the indexer skips them), so
  // only it adds to this map. Taking index_mutex_ here would make it wait, at every flush, for an
  // indexer that may be starved mid-line.
  return std::exchange(replayed_spend_, {});
}

std::size_t SpendJournal::unindexed_events() {
  const std::lock_guard lock(file_mutex_);
  std::size_t events = outbox_events_;
  for (const auto& appended : appended_) events += appended.events;
  return events;
}

void SpendJournal::remove_if_empty() {
  const std::lock_guard lock(file_mutex_);
  if (end_ == 0 && outbox_.empty()) ::unlink(path_.c_str());
}

void SpendJournal::set_aside(std::string_view line, const std::string& why) {
  const std::string rejected = path_ + ".rejected";
  std::string text(line);
  text += '\n';
  const int fd = open_private_file(rejected, O_WRONLY | O_APPEND);
  const bool written =
      fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const std::string outcome = written ? "was set aside in " + rejected
                                      : "was lost: " + system_error("cannot write to " + rejected);
  if (fd >= 0) ::close(fd);
  write_failed("error", "a spend batch the database cannot take " + outcome + ": " + why);
}

void SpendJournal::write_failed(std::string_view level, const std::string& what) {
  telemetry::log_now(level, what);
  if (on_write_failed_) on_write_failed_(what);
}

}  // namespace llmux::store
