// Durations as LiteLLM writes them — "30s", "30m", "30h", "30d", "2w", "1mo" — for key lifetimes
// and budget windows. A month is a calendar month (UTC): the same day of the month, clamped to the
// month's last day (Jan 31 + 1mo = Feb 28 or 29), as LiteLLM's duration_in_seconds counts it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace llmux::store {

using Millis = std::int64_t;  // Unix time in milliseconds

struct Duration {
  enum class Unit { second, minute, hour, day, week, month };
  std::int64_t count = 0;  // > 0
  Unit unit = Unit::second;
};

// nullopt when the text is not a duration.
std::optional<Duration> parse_duration(std::string_view text);

// `from` plus `duration`; a month keeps the day (clamped) and the time of day.
Millis add_duration(Millis from, const Duration& duration);
// The same for a duration given as text; nullopt when the text is not a duration.
std::optional<Millis> add_duration(Millis from, std::string_view duration);

// A budget window [start, end) that every process computes alike, without stored state:
// windows of seconds to days are whole periods counted from 1970-01-01 UTC ("1d" is a UTC day),
// weeks start on Monday, months on the 1st (counted from January 1970, so "1mo" is the calendar
// month and "3mo" a quarter).
struct Window {
  Millis start = 0;
  Millis end = 0;
};
Window window_containing(Millis now, const Duration& duration);

}  // namespace llmux::store
