#include "providers/wire/sse.hpp"

#include <cstring>

namespace llmux::providers::wire {

namespace {

// Position of the first `c` in [begin, end), or nullptr. memchr is vectorised; a hand loop is not.
const char* find_byte(const char* begin, const char* end, char c) {
  return static_cast<const char*>(std::memchr(begin, c, static_cast<std::size_t>(end - begin)));
}

}  // namespace

SseParser::SseParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

bool SseParser::feed(std::string_view bytes, SseEventSink& sink) {
  if (failed_) return false;
  const char* pos = bytes.data();
  const char* const end = pos + bytes.size();
  if (after_cr_ && pos != end) {
    after_cr_ = false;
    if (*pos == '\n') ++pos;  // the second half of a "\r\n" split across two feeds
  }
  // A line ends at its first '\r' or '\n'. Most streams have no '\r' at all: the next '\r' is
  // looked for once over the rest of the bytes (again only once a line end passes it), and
  // each line is searched for '\n' alone; a blank line is seen without a search.
  const char* cr = find_byte(pos, end, '\r');
  while (pos != end) {
    if (cr && cr < pos) cr = find_byte(pos, end, '\r');
    const char* lf = *pos == '\n' ? pos : find_byte(pos, cr ? cr : end, '\n');
    const char* line_end = lf ? lf : cr;
    if (!line_end) {
      // The unfinished line counts with the event it belongs to: together they are what is held.
      if (event_bytes() + partial_line_.size() + static_cast<std::size_t>(end - pos) >
          max_event_bytes_) {
        failed_ = true;
        return false;
      }
      partial_line_.append(pos, end);
      break;
    }
    const char* next = line_end + 1;
    if (line_end == cr) {
      if (next == end) {
        after_cr_ = true;
      } else if (*next == '\n') {
        ++next;
      }
    }
    std::string_view line(pos, static_cast<std::size_t>(line_end - pos));
    const bool fed = partial_line_.empty();
    if (!fed) {
      partial_line_.append(line);
      line = partial_line_;
    }
    const bool ok = on_line(line, fed, sink);
    partial_line_.clear();
    if (!ok) {
      failed_ = true;
      return false;
    }
    pos = next;
  }
  keep_data();
  return true;
}

void SseParser::finish(SseEventSink& sink) {
  if (failed_) return;
  after_cr_ = false;
  if (!partial_line_.empty()) {
    const bool ok = on_line(partial_line_, false, sink);
    partial_line_.clear();
    if (!ok) {
      failed_ = true;
      return;
    }
  }
  if (has_fields_) dispatch(sink);
}

namespace {

// Copies every event to the end of a vector.
class EventCollector final : public SseEventSink {
 public:
  explicit EventCollector(std::vector<SseEvent>& out) : out_(out) {}
  void dispatch(const SseEventView& event) override {
    out_.push_back(
        SseEvent{std::string(event.event), std::string(event.data), std::string(event.id)});
  }

 private:
  std::vector<SseEvent>& out_;
};

}  // namespace

bool SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  EventCollector collector(out);
  return feed(bytes, collector);
}

void SseParser::finish(std::vector<SseEvent>& out) {
  EventCollector collector(out);
  finish(collector);
}

bool SseParser::on_line(std::string_view line, bool fed, SseEventSink& sink) {
  if (line.size() > max_event_bytes_) return false;
  if (line.empty()) {
    if (has_fields_) dispatch(sink);
    return true;
  }
  if (line.front() == ':') return true;  // comment, e.g. OpenRouter's keep-alives

  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "data") {
    if (!has_data_ && fed) {  // usually an event's only data line: leave it where it is
      data_view_ = value;
      data_fed_ = true;
    } else {
      keep_data();
      if (has_data_) data_.push_back('\n');
      data_.append(value);
    }
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    // The SSE spec ignores ids holding NUL (they could not be sent back as Last-Event-ID).
    if (value.find('\0') != std::string_view::npos) return true;
    id_.assign(value);
  } else {
    return true;  // retry and unknown fields
  }
  has_fields_ = true;
  return event_bytes() <= max_event_bytes_;
}

void SseParser::keep_data() {
  if (!data_fed_) return;
  data_.assign(data_view_);
  data_fed_ = false;
}

void SseParser::dispatch(SseEventSink& sink) {
  // The strings keep their capacity: the next event reuses it.
  sink.dispatch(SseEventView{.event = event_, .data = data(), .id = id_});
  event_.clear();
  data_.clear();
  data_fed_ = false;
  has_data_ = false;
  has_fields_ = false;
}

void append_data_event(std::string& out, std::string_view data) {
  constexpr std::string_view kPrefix = "data: ";
  out.reserve(out.size() + kPrefix.size() + data.size() + 2);
  const char* pos = data.data();
  const char* const end = pos + data.size();
  while (true) {
    const char* lf = find_byte(pos, end, '\n');
    const char* cr = find_byte(pos, lf ? lf : end, '\r');
    const char* line_end = cr ? cr : (lf ? lf : end);
    out.append(kPrefix).append(pos, line_end).push_back('\n');
    if (line_end == end) break;
    pos = line_end + 1;
    if (cr && pos != end && *pos == '\n') ++pos;
  }
  out.push_back('\n');
}

}  // namespace llmux::providers::wire
