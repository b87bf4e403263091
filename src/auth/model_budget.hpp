// A key's per-model budgets (LiteLLM's model_max_budget): spend on one model group within a
// budget window, kept in memory beside the key's own spend and refused past its limit.
#pragma once

#include "base/error.hpp"
#include "store/durations.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::auth {

// Spend within the current window of one budget. The window moves on by itself: the first call
// after it ended starts the next one at zero. Any thread.
class WindowSpend {
 public:
  // period: nullopt for a budget without a window (the key's whole life).
  WindowSpend(std::optional<store::Duration> period, store::Millis now, double spend);
  double value(store::Millis now) const;
  void add(double cost, store::Millis now);

 private:
  std::optional<store::Duration> period_;
  std::atomic<double> spend_;
  std::atomic<store::Millis> window_end_;
};

struct ModelBudget {
  std::string model;  // as configured: a model group, or a group's name without its provider prefix
  double max_budget = 0;
  std::optional<store::Duration> period;
  std::string period_text;             // "1d"; "" without a window
  std::shared_ptr<WindowSpend> spend;  // set by the key cache
};

// LiteLLM's two shapes of model_max_budget: {"gpt-4o": 0.5} (no window: the key's whole life) and
// {"gpt-4o": {"budget_limit": 0.5, "time_period": "1d"}} (also spelled max_budget /
// budget_duration; the limit may be a numeric string). 400 for anything else.
Result<std::vector<ModelBudget>> parse_model_max_budget(
    const boost::json::object& model_max_budget);

// The budget that governs `model_group`, as LiteLLM resolves it: one configured under the group's
// name, else under the name without its provider prefix ("gpt-4o" governs "openai/gpt-4o").
const ModelBudget* find_model_budget(const std::vector<ModelBudget>& budgets,
                                     std::string_view model_group);

// The name a fleet counts the spend of a key's model budget under in its current window: the same
// on every instance (windows are calendar ones), a new one when the window moves on.
std::string model_budget_subject(std::string_view token, const ModelBudget& budget,
                                 store::Millis now);

}  // namespace llmux::auth
