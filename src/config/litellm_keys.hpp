// Which of the keys LiteLLM documents for a deployment's litellm_params are LiteLLM's own
// settings rather than request fields (the list: docs/configuration.md). A key llmux implements
// is read by the loader; one of these that llmux does not implement is ignored with a warning
// and never sent upstream, where a strict provider refuses a request carrying it; any other
// key is a request default, as in LiteLLM.
#pragma once

#include <string_view>

namespace llmux::config {

// cooldown_time, max_parallel_requests, region_name, tags, litellm_credential_name, prices
// llmux does not read (input_cost_per_second, …), logger and unused provider credentials, …
bool is_unimplemented_litellm_setting(std::string_view key);

}  // namespace llmux::config
