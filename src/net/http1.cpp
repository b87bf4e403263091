#include "net/http1.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace llmux::net::http1 {

namespace {

// RFC 9110 §5.6.2 token characters, one table lookup each.
constexpr auto kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_token_char(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls `visit(token)` for each element of a comma-separated list (Connection, Transfer-Encoding).
template <class Visit>
void for_each_list_token(std::string_view value, Visit&& visit) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const std::string_view token = trim(value.substr(0, comma));
    if (!token.empty()) visit(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool parse_decimal(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// The decimal number written with `count` digits at `at`; -1 when they are not all digits.
int digits_at(std::string_view text, std::size_t at, std::size_t count) {
  std::uint64_t value = 0;
  return parse_decimal(text.substr(at, count), value) ? static_cast<int>(value) : -1;
}

// Retry-After (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date, a moment already past being no
// delay. nullopt when it is neither.
std::optional<std::chrono::seconds> retry_after_delay(std::string_view value) {
  std::uint64_t seconds = 0;
  if (parse_decimal(value, seconds)) return std::chrono::seconds(seconds);
  const std::optional<std::chrono::sys_seconds> date = parse_http_date(value);
  if (!date) return std::nullopt;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return std::max(std::chrono::seconds(0), *date - now);
}

}  // namespace

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT")
    return std::nullopt;
  constexpr std::string_view kDays = "MonTueWedThuFriSatSun";
  constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const std::size_t day_name = kDays.find(text.substr(0, 3));
  const std::size_t month = kMonths.find(text.substr(8, 3));
  if (day_name == std::string_view::npos || day_name % 3 != 0 || month == std::string_view::npos ||
      month % 3 != 0)
    return std::nullopt;
  const int day = digits_at(text, 5, 2);
  const int year = digits_at(text, 12, 4);
  const int hour = digits_at(text, 17, 2);
  const int minute = digits_at(text, 20, 2);
  const int second = digits_at(text, 23, 2);
  if (day < 0 || year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 60)
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month / 3 + 1)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

char* ReadBuffer::prepare(std::size_t& free_bytes, std::size_t max_capacity) {
  const std::size_t pending_bytes = end_ - begin_;
  if (begin_ > 0) {
    if (pending_bytes > 0) std::memmove(data_.get(), data_.get() + begin_, pending_bytes);
    begin_ = 0;
    end_ = pending_bytes;
  }
  if (capacity_ - end_ < capacity_ / 4 + 1 && capacity_ < max_capacity) {
    const std::size_t grown = std::min(max_capacity, std::max(initial_capacity_, capacity_ * 2));
    auto larger = std::make_unique_for_overwrite<char[]>(grown);
    if (pending_bytes > 0) std::memcpy(larger.get(), data_.get(), pending_bytes);
    data_ = std::move(larger);
    capacity_ = grown;
  }
  free_bytes = capacity_ - end_;
  return data_.get() + end_;
}

void ReadBuffer::release_if_empty() {
  if (begin_ != end_) return;
  data_.reset();
  capacity_ = begin_ = end_ = 0;
}

std::size_t find_head_end(std::string_view bytes) {
  const auto blank = bytes.find("\r\n\r\n");
  return blank == std::string_view::npos ? blank : blank + 4;
}

namespace {

// What every head says about framing and the connection, read by read_fields.
struct FramingFields {
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool has_length = false;
  std::uint64_t content_length = 0;
  int coding_fields = 0;      // Transfer-Encoding fields
  bool chunked_last = false;  // the last coding named is "chunked"

  bool keep_alive(int minor_version) const {
    return minor_version == 1 ? !connection_close : connection_keep_alive && !connection_close;
  }
};

// True when no byte of `text` is below `lowest` (a tab too when `tab_allowed`) or DEL. Sixteen
// bytes at a time with SSE2 (every x86-64 has it): heads are read for every request.
bool all_bytes_allowed(std::string_view text, unsigned char lowest, bool tab_allowed) {
  const char* pos = text.data();
  const char* const end = pos + text.size();
#if defined(__SSE2__)
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));  // unsigned order as signed
  const __m128i lowest_biased = _mm_set1_epi8(static_cast<char>(lowest ^ 0x80));
  const __m128i tab = _mm_set1_epi8(tab_allowed ? '\t' : 0x7f);  // 0x7f: nothing more allowed
  const __m128i del = _mm_set1_epi8(0x7f);
  for (; end - pos >= 16; pos += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pos));
    const __m128i below = _mm_cmplt_epi8(_mm_xor_si128(bytes, bias), lowest_biased);
    const __m128i refused = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(bytes, tab), below),
                                         _mm_cmpeq_epi8(bytes, del));
    if (_mm_movemask_epi8(refused) != 0) return false;
  }
#endif
  for (; pos != end; ++pos) {
    const auto c = static_cast<unsigned char>(*pos);
    if ((c < lowest && !(tab_allowed && c == '\t')) || c == 0x7f) return false;
  }
  return true;
}

// A field value: visible bytes, spaces and tabs (obs-text too), no other control byte.
bool is_field_value(std::string_view value) { return all_bytes_allowed(value, ' ', true); }

// Reads the field lines of a head (`lines`, each ending with CRLF): framing and Connection into
// `framing`, every field to `visit(name, value)`, which returns false to refuse it. False when a
// line is malformed or refused.
template <class Visit>
bool read_fields(std::string_view lines, FramingFields& framing, Visit&& visit) {
  while (!lines.empty()) {
    const auto end = lines.find("\r\n");
    const std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 2);
    std::size_t colon = 0;  // the name is a token, ended by the colon
    while (colon < line.size() && is_token_char(line[colon])) ++colon;
    if (colon == 0 || colon == line.size() || line[colon] != ':') return false;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::uint64_t length = 0;
      if (!parse_decimal(value, length) || (framing.has_length && length != framing.content_length))
        return false;
      framing.has_length = true;
      framing.content_length = length;
    } else if (iequals(name, "transfer-encoding")) {
      ++framing.coding_fields;
      for_each_list_token(value, [&](std::string_view coding) {
        framing.chunked_last = iequals(coding, "chunked");
      });
    } else if (iequals(name, "connection")) {
      for_each_list_token(value, [&](std::string_view option) {
        if (iequals(option, "close")) framing.connection_close = true;
        if (iequals(option, "keep-alive")) framing.connection_keep_alive = true;
      });
    }
    if (!visit(name, value)) return false;
  }
  return true;
}

}  // namespace

std::string_view parse_request_head(std::string_view bytes, RequestHead& head) {
  head.fields.clear();
  if (head.fields.capacity() == 0) head.fields.reserve(16);  // one allocation for a usual request
  head.framing = BodyFraming::none;
  head.content_length = 0;
  head.expect_continue = false;
  std::string_view rest = bytes.substr(0, bytes.size() - 2);  // every line ends with CRLF

  // Request line: method SP request-target SP HTTP/1.x
  const auto line_end = rest.find("\r\n");
  const std::string_view request_line = rest.substr(0, line_end);
  rest.remove_prefix(line_end + 2);
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == 0 || last_space == first_space) {
    return "bad request line";
  }
  head.method = request_line.substr(0, first_space);
  head.target = request_line.substr(first_space + 1, last_space - first_space - 1);
  const std::string_view version = request_line.substr(last_space + 1);
  if (!std::all_of(head.method.begin(), head.method.end(), is_token_char)) return "bad method";
  if (head.target.empty() || !all_bytes_allowed(head.target, '!', false)) return "bad target";
  if (version.size() != 8 || !version.starts_with("HTTP/1.") ||
      (version[7] != '0' && version[7] != '1')) {
    return "bad version";
  }
  head.minor_version = version[7] - '0';

  FramingFields framing;
  // Request fields reach handlers (and an echoed x-request-id the response): no control bytes.
  const bool well_formed =
      read_fields(rest, framing, [&](std::string_view name, std::string_view value) {
        if (!is_field_value(value)) return false;
        head.fields.emplace_back(name, value);
        if (iequals(name, "expect")) head.expect_continue = iequals(value, "100-continue");
        return true;
      });
  if (!well_formed) return "bad field";
  // A request body can only be chunked (RFC 9112 §6.3), and never in HTTP/1.0.
  if (framing.coding_fields > 1 ||
      (framing.coding_fields == 1 && (!framing.chunked_last || head.minor_version == 0))) {
    return "bad Transfer-Encoding";
  }
  // Both a length and a coding is how requests are smuggled past proxies: refused.
  if (framing.has_length && framing.coding_fields > 0)
    return "both Content-Length and Transfer-Encoding";
  head.keep_alive = framing.keep_alive(head.minor_version);
  head.content_length = framing.content_length;
  if (framing.coding_fields > 0)
    head.framing = BodyFraming::chunked;
  else if (framing.content_length > 0)
    head.framing = BodyFraming::length;
  return {};
}

ParseResult parse_response_head(std::string_view bytes, ResponseHead& head,
                                std::size_t& head_bytes) {
  const auto end = find_head_end(bytes);
  if (end == std::string_view::npos) return ParseResult::incomplete;
  head_bytes = end;
  head = ResponseHead{};
  std::string_view rest = bytes.substr(0, end - 2);  // every line ends with CRLF

  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  const auto line_end = rest.find("\r\n");
  const std::string_view status_line = rest.substr(0, line_end);
  rest.remove_prefix(line_end + 2);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ') {
    return ParseResult::malformed;
  }
  const char minor = status_line[7];
  if (minor != '0' && minor != '1') return ParseResult::malformed;
  std::uint64_t status = 0;
  if (!parse_decimal(status_line.substr(9, 3), status) || status < 100 || status > 999 ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return ParseResult::malformed;
  }
  head.status = static_cast<int>(status);

  FramingFields framing;
  // A response's fields are only read here (framing, retry-after), never passed on.
  const bool well_formed =
      read_fields(rest, framing, [&](std::string_view name, std::string_view value) {
        if (!iequals(name, "retry-after")) return true;
        if (const auto delay = retry_after_delay(value)) head.retry_after = delay;
        return true;
      });
  if (!well_formed) return ParseResult::malformed;
  head.keep_alive = framing.keep_alive(minor - '0');
  head.content_length = framing.content_length;
  if (head.status < 200 || head.status == 204 || head.status == 304) {
    head.framing = BodyFraming::none;
  } else if (framing.coding_fields > 0 && framing.chunked_last) {
    head.framing = BodyFraming::chunked;
  } else if (framing.coding_fields > 0 || !framing.has_length) {
    // Only a final "chunked" delimits a body; without it or a length, the body runs to the close.
    head.framing = BodyFraming::until_close;
    head.keep_alive = false;
  } else {
    head.framing = framing.content_length == 0 ? BodyFraming::none : BodyFraming::length;
  }
  return ParseResult::done;
}

BodyDecoder::BodyDecoder(BodyFraming framing, std::uint64_t content_length)
    : remaining_(content_length) {
  switch (framing) {
    case BodyFraming::none: state_ = State::done; break;
    case BodyFraming::length: state_ = State::length; break;
    case BodyFraming::chunked: state_ = State::chunk_size; break;
    case BodyFraming::until_close: state_ = State::until_close; break;
  }
}

std::optional<BodyDecoder::Step> BodyDecoder::decode(char* bytes, std::size_t size) {
  std::size_t in = 0;   // next input byte
  std::size_t out = 0;  // end of the body bytes moved to the front
  // One line of chunk framing ending at CRLF, or nullopt-like `npos` when not yet whole.
  const auto line_at = [&](std::size_t from) -> std::string_view {
    const auto* newline = static_cast<const char*>(std::memchr(bytes + from, '\n', size - from));
    if (!newline) return {};
    const auto length = static_cast<std::size_t>(newline - (bytes + from)) + 1;
    return {bytes + from, length};
  };
  while (in < size && state_ != State::done) {
    switch (state_) {
      case State::length:
      case State::until_close:
      case State::chunk_data: {
        std::size_t take = size - in;
        if (state_ != State::until_close)
          take = static_cast<std::size_t>(std::min<std::uint64_t>(take, remaining_));
        if (out != in) std::memmove(bytes + out, bytes + in, take);
        in += take;
        out += take;
        if (state_ == State::until_close) break;
        remaining_ -= take;
        if (remaining_ == 0) state_ = state_ == State::length ? State::done : State::chunk_data_end;
        break;
      }
      case State::chunk_data_end:
        if (bytes[in] != '\r') return std::nullopt;
        if (in + 1 >= size) return Step{in, out};
        if (bytes[in + 1] != '\n') return std::nullopt;
        in += 2;
        state_ = State::chunk_size;
        break;
      case State::chunk_size: {
        const std::string_view line = line_at(in);
        if (line.empty()) {
          if (size - in > kMaxChunkLine) return std::nullopt;
          return Step{in, out};
        }
        if (line.size() < 3 || line[line.size() - 2] != '\r') return std::nullopt;
        std::uint64_t chunk = 0;
        const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), chunk, 16);
        if (ec != std::errc() || end == line.data()) return std::nullopt;
        // After the size: optional whitespace, then extensions (";name=value"), all ignored.
        std::string_view after(end, static_cast<std::size_t>(line.data() + line.size() - 2 - end));
        after = trim(after);
        if (!after.empty() && after.front() != ';') return std::nullopt;
        in += line.size();
        if (chunk == 0) {
          state_ = State::trailer;
        } else {
          remaining_ = chunk;
          state_ = State::chunk_data;
        }
        break;
      }
      case State::trailer: {
        const std::string_view line = line_at(in);
        if (line.empty()) {
          if (size - in > kMaxChunkLine) return std::nullopt;
          return Step{in, out};
        }
        if (line.size() < 2 || line[line.size() - 2] != '\r') return std::nullopt;
        in += line.size();
        if (line.size() == 2) state_ = State::done;  // the blank line ends the message
        break;
      }
      case State::done: break;
    }
  }
  return Step{in, out};
}

bool BodyDecoder::finish_at_close() {
  if (state_ != State::until_close) return state_ == State::done;
  state_ = State::done;
  return true;
}

}  // namespace llmux::net::http1
