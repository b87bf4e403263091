// Embedding vectors in the encoding the client asked for.
#pragma once

#include "api/json_scan.hpp"
#include "api/request.hpp"
#include "api/usage.hpp"

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

namespace llmux::api {

// OpenAI's `encoding_format: "base64"`: the vector as packed little-endian float32, base64-encoded.
// Returns false when `vector` is not an array of numbers.
bool encode_embedding_base64(const boost::json::array& vector, std::string& out);

// Rewrites every `data[].embedding` that is a float array into its base64 string, in place.
// Used when the client asked for base64 and the upstream answered with floats anyway.
void convert_embeddings_to_base64(boost::json::object& response);

// The client asked for `encoding_format: "base64"`.
bool wants_base64(const Request& request);

// OpenAI's embeddings list built from an upstream answer `text` whose member at `vectors` is an
// array of number arrays. Each vector's text is copied as the upstream wrote it, so the numbers
// reach the client exactly (a parse and re-serialisation would round some of them), or encoded as
// base64 when the request asks for it. An upstream_failed error when `vectors` is not such an
// array.
Result<std::string> embeddings_list(const Request& request, std::string_view text, Span vectors,
                                    std::string_view client_model, const Usage& usage);

}  // namespace llmux::api
