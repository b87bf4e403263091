// Embedding vectors in the encoding the client asked for.
#pragma once

#include <boost/json/fwd.hpp>

#include <string>

namespace llmux::api {

// OpenAI's `encoding_format: "base64"`: the vector as packed little-endian float32, base64-encoded.
// Returns false when `vector` is not an array of numbers.
bool encode_embedding_base64(const boost::json::array& vector, std::string& out);

// Rewrites every `data[].embedding` that is a float array into its base64 string, in place.
// Used when the client asked for base64 and the upstream answered with floats anyway.
void convert_embeddings_to_base64(boost::json::object& response);

}  // namespace llmux::api
