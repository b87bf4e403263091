// An embeddings answer cut into one entry per input, and entries put back together into an
// answer. The vectors' text is copied as the upstream wrote it (never parsed and printed again),
// so a hit returns exactly the numbers the first call returned.
#pragma once

#include "base/error.hpp"
#include "cache/entry.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace llmux::cache {

// One entry per element of the answer's `data`, in `index` order, each holding the vector and the
// answer's model, and the input's share of `prompt_tokens`. An error unless there are exactly
// `inputs` of them.
Result<std::vector<Entry>> split_embeddings(std::string_view answer, std::size_t inputs,
                                            std::int64_t prompt_tokens, std::int64_t stored_at_ms);

// OpenAI's embeddings list made of entries split_embeddings made, one per input in order; its
// usage is the sum of their shares. Dated as the oldest of them.
Entry join_embeddings(const std::vector<std::shared_ptr<const Entry>>& items);

}  // namespace llmux::cache
