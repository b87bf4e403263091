// Models kept in the database (POST /model/new, docs/MODELS.md) as model_list entries: read by
// the config loader exactly as config.yaml's entries (JSON is YAML), validated as the router
// builds them, and served after the config's own entries.
#pragma once

#include "base/error.hpp"
#include "config/config.hpp"
#include "router/model_table.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace llmux::router {

// The model_list entry of a stored model (model_info.id is its id), or a 400 naming what the
// loader or the router refuses in it (an unknown provider, a missing api_base, …), checked with
// the operator's settings (`config`).
Result<config::ModelEntry> stored_model_entry(const config::Config& config,
                                              std::string_view model_id,
                                              std::string_view model_name,
                                              const boost::json::object& litellm_params,
                                              const boost::json::object& model_info);

// The operator's table with the stored entries after the config's own (whose indexes stay those
// of the config alone). Throws config::LoadError as ModelTable::build does.
ModelTable table_with_stored(const config::Config& config, std::vector<config::ModelEntry> stored,
                             std::vector<std::string>& warnings);

}  // namespace llmux::router
