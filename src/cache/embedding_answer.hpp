// An embeddings answer cut into one entry per input, and entries put back together into an
// answer. The vectors' text is copied as the upstream wrote it (never parsed and printed again),
// so a hit returns exactly the numbers the first call returned.
#pragma once

#include "base/error.hpp"
#include "cache/entry.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace llmux::cache {

// One entry per element of the answer's `data`, in `index` order, each holding the vector and the
// answer's model, and the input's share of `prompt_tokens`. An error unless there are exactly
// `inputs` of them.
Result<std::vector<Entry>> split_embeddings(std::string_view answer, std::size_t inputs,
                                            std::int64_t prompt_tokens, std::int64_t stored_at_ms);

// OpenAI's embeddings list made of entries split_embeddings made, one per input in order; its
// usage is `prompt_tokens` when given, else the sum of their shares. Dated as the oldest of them.
Entry join_embeddings(const std::vector<std::shared_ptr<const Entry>>& items,
                      std::optional<std::int64_t> prompt_tokens = std::nullopt);

// A request some of whose inputs the cache has (`cached`, one per input, nullptr where it has
// none), as LiteLLM serves it: the body sent upstream asks for only the missing inputs, in order
// (an `input` array)...
boost::json::object with_missing_inputs(const boost::json::object& body,
                                        const std::vector<std::shared_ptr<const Entry>>& cached);
// ...and the client's answer is the cached vectors and those of `upstream_answer` (the answer to
// that body) each at its input's place; its usage is the upstream's (`prompt_tokens`), which alone
// was paid for. An error when the upstream's answer has not one vector per missing input.
Result<std::string> stitch_embeddings(const std::vector<std::shared_ptr<const Entry>>& cached,
                                      std::string_view upstream_answer, std::int64_t prompt_tokens);

}  // namespace llmux::cache
