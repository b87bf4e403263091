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

bool SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return false;
  const char* pos = bytes.data();
  const char* const end = pos + bytes.size();
  if (after_cr_ && pos != end) {
    after_cr_ = false;
    if (*pos == '\n') ++pos;  // the second half of a "\r\n" split across two feeds
  }
  while (pos != end) {
    // The line ends at the first '\r' or '\n'. Search '\n' over the rest, then '\r' only up to
    // that point, so each byte is looked at by at most two memchr passes.
    const char* lf = find_byte(pos, end, '\n');
    const char* cr = find_byte(pos, lf ? lf : end, '\r');
    const char* line_end = cr ? cr : lf;
    if (!line_end) {
      if (partial_line_.size() + static_cast<std::size_t>(end - pos) > max_event_bytes_) {
        failed_ = true;
        return false;
      }
      partial_line_.append(pos, end);
      return true;
    }
    const char* next = line_end + 1;
    if (cr) {
      if (next == end) {
        after_cr_ = true;
      } else if (*next == '\n') {
        ++next;
      }
    }
    std::string_view line(pos, static_cast<std::size_t>(line_end - pos));
    if (!partial_line_.empty()) {
      partial_line_.append(line);
      line = partial_line_;
    }
    const bool ok = on_line(line, out);
    partial_line_.clear();
    if (!ok) {
      failed_ = true;
      return false;
    }
    pos = next;
  }
  return true;
}

void SseParser::finish(std::vector<SseEvent>& out) {
  if (failed_) return;
  after_cr_ = false;
  if (!partial_line_.empty()) {
    const bool ok = on_line(partial_line_, out);
    partial_line_.clear();
    if (!ok) {
      failed_ = true;
      return;
    }
  }
  if (has_fields_) dispatch(out);
}

bool SseParser::on_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.size() > max_event_bytes_) return false;
  if (line.empty()) {
    if (has_fields_) dispatch(out);
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
    if (has_data_) data_.push_back('\n');
    data_.append(value);
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
  return event_.size() + data_.size() + id_.size() <= max_event_bytes_;
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  // event_ and data_ are moved out: each event owns its strings, so one allocation per string is
  // unavoidable, and moving avoids a second copy.
  out.push_back(SseEvent{std::move(event_), std::move(data_), id_});
  event_.clear();
  data_.clear();
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
