#include "router/stored_models.hpp"

#include "config/load.hpp"

#include <boost/json/serialize.hpp>

namespace llmux::router {

namespace json = boost::json;

namespace {

Error invalid_model(const std::vector<std::string>& problems) {
  std::string message = "Invalid model:";
  for (const auto& problem : problems) message += " " + problem + ";";
  message.back() = '.';
  return make_error(ErrorKind::invalid_request, std::move(message), "litellm_params");
}

}  // namespace

Result<config::ModelEntry> stored_model_entry(const config::Config& config,
                                              std::string_view model_id,
                                              std::string_view model_name,
                                              const json::object& litellm_params,
                                              const json::object& model_info) {
  json::object info = model_info;
  info["id"] = model_id;
  const json::object entry{{"model_name", model_name},
                           {"litellm_params", litellm_params},
                           {"model_info", std::move(info)}};
  const json::object document{{"model_list", json::array{entry}}};
  try {
    config::Config loaded = config::load_string(json::serialize(document), "model");
    if (loaded.model_list.size() != 1) return invalid_model({"it is not a model_list entry"});
    // Built alone with the operator's settings: what would fail the whole table fails here.
    config::Config alone = config;
    alone.source = loaded.source;  // its messages name the model, not the config file
    alone.model_list = loaded.model_list;
    std::vector<std::string> warnings;
    ModelTable::build(alone, warnings);
    return std::move(loaded.model_list.front());
  } catch (const config::LoadError& error) {
    return invalid_model(error.problems);
  }
}

ModelTable table_with_stored(const config::Config& config, std::vector<config::ModelEntry> stored,
                             std::vector<std::string>& warnings) {
  config::Config combined = config;
  for (auto& entry : stored) combined.model_list.push_back(std::move(entry));
  return ModelTable::build(combined, warnings);
}

}  // namespace llmux::router
