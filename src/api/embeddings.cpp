#include "api/embeddings.hpp"

#include "base/json_string.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <bit>
#include <cstdint>
#include <cstring>

namespace llmux::api {

namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void append_base64(std::string& out, const unsigned char* data, std::size_t size) {
  out.reserve(out.size() + (size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  if (const std::size_t rest = size - i; rest > 0) {
    std::uint32_t n = data[i] << 16;
    if (rest == 2) n |= data[i + 1] << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
}

}  // namespace

bool encode_embedding_base64(const boost::json::array& vector, std::string& out) {
  static_assert(std::endian::native == std::endian::little,
                "float32 packing assumes little-endian");
  std::string bytes(vector.size() * sizeof(float), '\0');
  for (std::size_t i = 0; i < vector.size(); ++i) {
    const auto& element = vector[i];
    if (!element.is_number()) return false;
    const float value = static_cast<float>(element.to_number<double>());
    std::memcpy(bytes.data() + i * sizeof(float), &value, sizeof(float));
  }
  append_base64(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return true;
}

void convert_embeddings_to_base64(boost::json::object& response) {
  auto* data = response.if_contains("data");
  if (!data || !data->is_array()) return;
  for (auto& item : data->get_array()) {
    auto* object = item.if_object();
    auto* embedding = object ? object->if_contains("embedding") : nullptr;
    if (!embedding || !embedding->is_array()) continue;
    std::string encoded;
    if (encode_embedding_base64(embedding->get_array(), encoded)) *embedding = encoded;
  }
}

bool wants_base64(const Request& request) {
  const auto* format = request.body.if_contains("encoding_format");
  return format && format->is_string() && format->get_string() == "base64";
}

Result<std::string> embeddings_list(const Request& request, std::string_view text, Span vectors,
                                    std::string_view client_model, const Usage& usage) {
  const bool base64 = wants_base64(request);
  std::string out;
  out.reserve(text.size() + 128);
  out += R"({"object":"list","data":[)";
  std::size_t index = 0;
  bool numbers = true;
  const bool is_array = !vectors.empty() && for_each_element(text, vectors, [&](Span vector) {
    if (index > 0) out += ',';
    out += R"({"object":"embedding","index":)";
    out += std::to_string(index++);
    out += R"(,"embedding":)";
    if (!base64) {
      out += vector.in(text);
    } else {
      boost::json::error_code ec;
      const boost::json::value parsed = boost::json::parse(vector.in(text), ec);
      std::string encoded;
      if (ec || !parsed.is_array() || !encode_embedding_base64(parsed.get_array(), encoded))
        numbers = false;
      append_json_string(out, encoded);
    }
    out += '}';
  });
  if (!is_array || !numbers) {
    return make_error(ErrorKind::upstream_failed,
                      "The upstream's embeddings answer has no array of number arrays.");
  }
  out += R"(],"model":)";
  append_json_string(out, client_model);
  out += R"(,"usage":{"prompt_tokens":)";
  out += std::to_string(usage.prompt_tokens);
  out += R"(,"total_tokens":)";
  out += std::to_string(usage.total_tokens);
  out += "}}";
  return out;
}

}  // namespace llmux::api
