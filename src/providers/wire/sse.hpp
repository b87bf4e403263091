// Server-sent events (text/event-stream): an incremental parser for upstream streams and the
// framing llmux emits to its own clients.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::providers::wire {

struct SseEvent {
  std::string event;  // empty when the event had no `event:` field
  std::string data;   // the event's `data:` lines joined with '\n'
  std::string id;     // the last `id:` seen in the stream (it carries over, as the SSE spec says)

  bool operator==(const SseEvent&) const = default;
};

// One event as the parser hands it to an SseEventSink: views valid during that call only. The
// data of an event that arrived whole in one feed points into the fed bytes (no copy).
struct SseEventView {
  std::string_view event;
  std::string_view data;
  std::string_view id;
};

class SseEventSink {
 public:
  virtual void dispatch(const SseEventView& event) = 0;

 protected:
  ~SseEventSink() = default;
};

// Incremental text/event-stream parser: bytes in (split anywhere), complete events out.
// Follows openai-python's SSEDecoder: lines end with "\r\n", "\n" or "\r" (also when "\r\n" is
// split across two feeds); an empty line dispatches the buffered event; lines starting with ':'
// are comments; `field:value` loses one leading space of value; fields event, data, id (retry
// and unknown fields are ignored). Unlike the Python decoder, an empty line after a block that
// held only `retry:` or nothing new dispatches nothing, so a remembered id alone never produces
// an empty event.
class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 16 << 20);

  // Hands each event completed by `bytes` to `sink`, in order. Returns false (and stays failed)
  // when an event or line grows past max_event_bytes: the caller reports a bad upstream stream.
  bool feed(std::string_view bytes, SseEventSink& sink);

  // End of input: a last event without its blank line is still delivered. The parser is empty
  // afterwards (apart from the remembered id) and may be fed a new stream.
  void finish(SseEventSink& sink);

  // The same, each event copied to the end of `out`.
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);
  void finish(std::vector<SseEvent>& out);

  bool failed() const { return failed_; }

 private:
  // Handles one complete line (terminator removed); false when the event grew too large.
  // `fed` says the line lies in the bytes of the current feed (not in partial_line_).
  bool on_line(std::string_view line, bool fed, SseEventSink& sink);
  void dispatch(SseEventSink& sink);
  // The event's data as a view: in the fed bytes, or in data_.
  std::string_view data() const { return data_fed_ ? data_view_ : std::string_view(data_); }
  // What the event being read holds so far (the limit's measure).
  std::size_t event_bytes() const { return event_.size() + data().size() + id_.size(); }
  // Copies data that points into the fed bytes: they go away when feed returns.
  void keep_data();

  std::size_t max_event_bytes_;
  std::string partial_line_;  // the start of a line whose end has not arrived yet
  std::string event_;
  std::string data_;
  std::string_view data_view_;  // the event's only data line, in the fed bytes (data_fed_)
  std::string id_;
  bool data_fed_ = false;
  bool has_data_ = false;    // at least one data line since the last dispatch
  bool has_fields_ = false;  // an event, data or id line since the last dispatch
  bool after_cr_ = false;    // the last feed ended with '\r': a leading '\n' belongs to it
  bool failed_ = false;
};

// "data: <data>\n\n" appended to `out` (the framing OpenAI emits). Line breaks inside `data`
// become separate data lines, so a parser reads `data` back (with breaks normalised to '\n').
void append_data_event(std::string& out, std::string_view data);

}  // namespace llmux::providers::wire
