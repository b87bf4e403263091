// Writes JSON text directly, member by member: the logging callbacks' bodies cost a fraction of
// building a boost::json document and serialising it.
#pragma once

#include "base/json_string.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmux::callbacks {

// Appends one JSON object's members, separating them.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // `name` is a literal of the caller's: it needs no escaping. One append: the separator, the
  // quoted name and the colon are put together first (short names, the usual case).
  std::string& key(std::string_view name) {
    char text[64];
    if (name.size() > sizeof text - 4) {
      out_ += first_ ? std::string_view("\"") : std::string_view(",\"");
      out_ += name;
      out_ += "\":";
    } else {
      char* write = text;
      if (!first_) *write++ = ',';
      *write++ = '"';
      write = std::copy(name.begin(), name.end(), write);
      *write++ = '"';
      *write++ = ':';
      out_.append(text, write);
    }
    first_ = false;
    return out_;
  }
  // Members written beforehand as JSON text (`"a":1,"b":null`): constant runs in one append.
  void members(std::string_view text) {
    if (!first_) out_ += ',';
    out_ += text;
    first_ = false;
  }
  void string(std::string_view name, std::string_view value) {
    append_json_string(key(name), value);
  }
  // null for an empty value, as LiteLLM's None.
  void string_or_null(std::string_view name, std::string_view value) {
    if (value.empty())
      key(name) += "null";
    else
      string(name, value);
  }
  void number(std::string_view name, double value) { append_number(key(name), value); }
  // Seconds with six decimals, from integer microseconds (cheaper than a double's shortest text).
  void seconds(std::string_view name, std::chrono::microseconds micros) {
    decimal(name, micros.count(), 6);
  }
  // `scaled` / 10^`decimals`, written with that many decimals.
  void decimal(std::string_view name, std::int64_t scaled, int decimals) {
    std::string& out = key(name);
    std::uint64_t magnitude = scaled < 0 ? 0 - static_cast<std::uint64_t>(scaled) : scaled;
    if (scaled < 0) out += '-';
    char digits[24];
    char* end = digits + sizeof digits;
    char* begin = end;
    for (int written = 0; written <= decimals || magnitude > 0; ++written) {
      if (written == decimals) *--begin = '.';
      *--begin = static_cast<char>('0' + magnitude % 10);
      magnitude /= 10;
    }
    out.append(begin, end);
  }
  void integer(std::string_view name, std::int64_t value) { append_number(key(name), value); }
  void raw(std::string_view name, std::string_view json_text) { key(name) += json_text; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace llmux::callbacks
