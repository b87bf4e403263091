// Writes JSON text directly, member by member: the logging callbacks' bodies cost a fraction of
// building a boost::json document and serialising it.
#pragma once

#include "base/json_string.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

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

  // `name` is a literal of the caller's: it needs no escaping.
  std::string& key(std::string_view name) {
    const std::size_t at = out_.size();
    out_.resize(at + name.size() + (first_ ? 3 : 4));
    char* write = out_.data() + at;
    if (!first_) *write++ = ',';
    *write++ = '"';
    write = std::copy(name.begin(), name.end(), write);
    *write++ = '"';
    *write = ':';
    first_ = false;
    return out_;
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
    std::string& out = key(name);
    std::int64_t count = micros.count();
    if (count < 0) {
      out += '-';
      count = -count;
    }
    append_number(out, count / 1'000'000);
    const std::string fraction = std::to_string(count % 1'000'000);
    out += '.';
    out.append(6 - fraction.size(), '0');
    out += fraction;
  }
  void integer(std::string_view name, std::int64_t value) { append_number(key(name), value); }
  void raw(std::string_view name, std::string_view json_text) { key(name) += json_text; }
  void value(std::string_view name, const boost::json::value& value) {
    key(name) += boost::json::serialize(value);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace llmux::callbacks
