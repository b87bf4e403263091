// Protocol Buffers' binary wire format, as much of it as OTLP/HTTP needs: a writer of varints,
// fixed-width numbers and length-delimited fields (nested messages, strings, bytes) straight into
// a string, and a reader of one message's fields. The messages are written from the calls' facts
// the way the JSON bodies are, without building a message object first.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace llmux::callbacks::protobuf {

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

// Appends fields to `out`. A nested message is opened with begin() and closed with end(): its
// length is written in front of it once it is known. A field's tag and length (or its number) are
// put together first and appended at once.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void varint_field(int field, std::uint64_t value) {
    char bytes[2 * kMaxVarint];
    out_.append(bytes, put_varint(tag(bytes, field, WireType::varint), value));
  }
  // int64 and enum fields: a negative value as its two's complement (ten bytes), as protobuf does.
  void int64_field(int field, std::int64_t value) {
    varint_field(field, static_cast<std::uint64_t>(value));
  }
  void bool_field(int field, bool value) { varint_field(field, value ? 1 : 0); }
  void fixed64_field(int field, std::uint64_t value) {
    char bytes[kMaxVarint + 8];
    char* end = tag(bytes, field, WireType::fixed64);
    for (int shift = 0; shift < 64; shift += 8) *end++ = static_cast<char>((value >> shift) & 0xff);
    out_.append(bytes, end);
  }
  void double_field(int field, double value) {
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    fixed64_field(field, bits);
  }
  // A string (UTF-8) or bytes field.
  void bytes_field(int field, std::string_view value) {
    char head[2 * kMaxVarint];
    out_.append(head, put_varint(tag(head, field, WireType::length_delimited), value.size()));
    out_ += value;
  }

  // Opens the nested message `field`; returns what end() takes. Its length is written in one
  // byte first, and moved up only when the message turns out longer than 127 bytes.
  std::size_t begin(int field) {
    char head[kMaxVarint + 1];
    char* end = tag(head, field, WireType::length_delimited);
    *end++ = '\0';
    out_.append(head, end);
    return out_.size();
  }
  void end(std::size_t begun) {
    const std::size_t length = out_.size() - begun;
    char bytes[kMaxVarint];
    const std::size_t count = static_cast<std::size_t>(put_varint(bytes, length) - bytes);
    if (count > 1) out_.insert(begun, count - 1, '\0');
    std::memcpy(out_.data() + begun - 1, bytes, count);
  }

  std::string& out() { return out_; }

 private:
  static constexpr std::size_t kMaxVarint = 10;
  static char* tag(char* out, int field, WireType type) {
    return put_varint(out,
                      (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint8_t>(type));
  }
  // Writes `value` as a varint at `out`; returns its end.
  static char* put_varint(char* out, std::uint64_t value) {
    while (value >= 0x80) {
      *out++ = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    *out++ = static_cast<char>(value);
    return out;
  }
  std::string& out_;
};

// One field of a message being read: a varint or fixed-width value, or the bytes of a
// length-delimited one.
struct Field {
  int number = 0;
  WireType type = WireType::varint;
  std::uint64_t value = 0;  // varint, fixed64, fixed32
  std::string_view bytes;   // length_delimited
};

// Reads the fields of one message in turn; next() is nullopt at its end or at the first byte
// that is not protobuf (then broken() is true).
class Reader {
 public:
  explicit Reader(std::string_view message) : rest_(message) {}

  std::optional<Field> next() {
    if (rest_.empty()) return std::nullopt;
    const auto key = varint();
    if (!key || (*key >> 3) == 0 || (*key >> 3) > 0x1fffffff) return fail();
    Field field{.number = static_cast<int>(*key >> 3), .type = static_cast<WireType>(*key & 7)};
    switch (field.type) {
      case WireType::varint: {
        const auto value = varint();
        if (!value) return fail();
        field.value = *value;
        return field;
      }
      case WireType::fixed64:
      case WireType::fixed32: {
        const std::size_t width = field.type == WireType::fixed64 ? 8 : 4;
        if (rest_.size() < width) return fail();
        for (std::size_t i = 0; i < width; ++i)
          field.value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(rest_[i])) << (8 * i);
        rest_.remove_prefix(width);
        return field;
      }
      case WireType::length_delimited: {
        const auto length = varint();
        if (!length || *length > rest_.size()) return fail();
        field.bytes = rest_.substr(0, *length);
        rest_.remove_prefix(*length);
        return field;
      }
    }
    return fail();  // groups (3, 4) and unknown wire types
  }
  bool broken() const { return broken_; }

 private:
  std::optional<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && !rest_.empty(); shift += 7) {
      const auto byte = static_cast<std::uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }
  std::nullopt_t fail() {
    broken_ = true;
    rest_ = {};
    return std::nullopt;
  }
  std::string_view rest_;
  bool broken_ = false;
};

}  // namespace llmux::callbacks::protobuf
