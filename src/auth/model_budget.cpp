#include "auth/model_budget.hpp"

#include <charconv>
#include <limits>

namespace llmux::auth {

namespace json = boost::json;

namespace {

constexpr store::Millis kNever = std::numeric_limits<store::Millis>::max();

store::Millis window_end_at(const std::optional<store::Duration>& period, store::Millis now) {
  return period ? store::window_containing(now, *period).end : kNever;
}

Error invalid(const std::string& model, std::string_view reason) {
  return make_error(ErrorKind::invalid_request,
                    "Invalid model_max_budget: " + std::string(reason) + " (model " + model +
                        "). Example of valid model_max_budget: {\"gpt-4o\": {\"budget_limit\": "
                        "0.5, \"time_period\": "
                        "\"1d\"}}",
                    "model_max_budget");
}

// A budget limit: a number, or a string holding one (LiteLLM's UI sends strings).
std::optional<double> limit_of(const json::value& value) {
  if (value.is_number()) return value.to_number<double>();
  if (!value.is_string()) return std::nullopt;
  const json::string& text = value.as_string();
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

const json::value* either(const json::object& object, std::string_view name,
                          std::string_view other_name) {
  if (const auto* value = object.if_contains(name); value && !value->is_null()) return value;
  if (const auto* value = object.if_contains(other_name); value && !value->is_null()) return value;
  return nullptr;
}

}  // namespace

WindowSpend::WindowSpend(std::optional<store::Duration> period, store::Millis now, double spend)
    : period_(period), spend_(spend), window_end_(window_end_at(period, now)) {}

double WindowSpend::value(store::Millis now) const {
  return now >= window_end_.load(std::memory_order_relaxed)
             ? 0
             : spend_.load(std::memory_order_relaxed);
}

void WindowSpend::add(double cost, store::Millis now) {
  store::Millis end = window_end_.load(std::memory_order_relaxed);
  // The window ended: the one thread that moves it on starts the new window at zero. A cost
  // added by another thread in that same instant may land in either window.
  if (now >= end && window_end_.compare_exchange_strong(end, window_end_at(period_, now))) {
    spend_.store(0, std::memory_order_relaxed);
  }
  spend_.fetch_add(cost, std::memory_order_relaxed);
}

Result<std::vector<ModelBudget>> parse_model_max_budget(const json::object& model_max_budget) {
  std::vector<ModelBudget> budgets;
  for (const auto& [name, entry] : model_max_budget) {
    ModelBudget budget{.model = std::string(name)};
    std::optional<double> limit;
    if (entry.is_object()) {
      const json::object& config = entry.as_object();
      if (const auto* value = either(config, "budget_limit", "max_budget")) {
        limit = limit_of(*value);
        if (!limit) return invalid(budget.model, "budget_limit is not a number");
      }
      if (const auto* period = either(config, "time_period", "budget_duration")) {
        if (!period->is_string()) return invalid(budget.model, "time_period is not a duration");
        budget.period_text = period->as_string();
        budget.period = store::parse_duration(budget.period_text);
        if (!budget.period)
          return invalid(budget.model, "time_period is not a duration such as 1d, 2w or 1mo");
      }
    } else {
      limit = limit_of(entry);
      if (!limit)
        return invalid(budget.model, "expected a number or {\"budget_limit\", \"time_period\"}");
    }
    // An entry without a limit limits nothing (LiteLLM skips it too).
    if (!limit) continue;
    if (*limit < 0) return invalid(budget.model, "budget_limit is negative");
    budget.max_budget = *limit;
    budgets.push_back(std::move(budget));
  }
  return budgets;
}

const ModelBudget* find_model_budget(const std::vector<ModelBudget>& budgets,
                                     std::string_view model_group) {
  if (budgets.empty()) return nullptr;
  const auto slash = model_group.rfind('/');
  const std::string_view bare =
      slash == std::string_view::npos ? model_group : model_group.substr(slash + 1);
  for (const std::string_view candidate : {model_group, bare}) {
    for (const ModelBudget& budget : budgets) {
      if (budget.model == candidate) return &budget;
    }
  }
  return nullptr;
}

std::string model_budget_subject(std::string_view token, const ModelBudget& budget,
                                 store::Millis now) {
  const store::Millis window_start =
      budget.period ? store::window_containing(now, *budget.period).start : 0;
  return "model_budget:" + std::string(token) + ':' + budget.model + ':' + budget.period_text +
         ':' + std::to_string(window_start);
}

}  // namespace llmux::auth
