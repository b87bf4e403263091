#include "store/durations.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace llmux::store {

namespace {

namespace chrono = std::chrono;

constexpr Millis kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour,
                 kWeek = 7 * kDay;
// 1970-01-05, the first Monday of the Unix epoch.
constexpr Millis kFirstMonday = 4 * kDay;

// The fixed length of every unit but the month.
Millis period_of(const Duration& duration) {
  switch (duration.unit) {
    case Duration::Unit::second: return duration.count * kSecond;
    case Duration::Unit::minute: return duration.count * kMinute;
    case Duration::Unit::hour: return duration.count * kHour;
    case Duration::Unit::day: return duration.count * kDay;
    case Duration::Unit::week: return duration.count * kWeek;
    case Duration::Unit::month: break;
  }
  return 0;
}

Millis floor_to(Millis value, Millis step) {
  const Millis quotient = value / step;
  return (quotient - (value % step < 0 ? 1 : 0)) * step;
}

chrono::sys_days day_of(Millis millis) {
  return chrono::floor<chrono::days>(
      chrono::sys_time<chrono::milliseconds>(chrono::milliseconds(millis)));
}

Millis millis_of(chrono::sys_days day) {
  return chrono::duration_cast<chrono::milliseconds>(day.time_since_epoch()).count();
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  Duration duration;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), duration.count);
  if (ec != std::errc() || end == text.data() || duration.count <= 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit == "s")
    duration.unit = Duration::Unit::second;
  else if (unit == "m")
    duration.unit = Duration::Unit::minute;
  else if (unit == "h")
    duration.unit = Duration::Unit::hour;
  else if (unit == "d")
    duration.unit = Duration::Unit::day;
  else if (unit == "w")
    duration.unit = Duration::Unit::week;
  else if (unit == "mo")
    duration.unit = Duration::Unit::month;
  else
    return std::nullopt;
  // At most 10,000 years: every date then stays a chrono year and a 64-bit millisecond count.
  constexpr std::int64_t kMaxMonths = 12 * 10'000;
  constexpr Millis kMaxMillis = kMaxMonths * 31 * kDay;
  const bool too_long =
      duration.unit == Duration::Unit::month
          ? duration.count > kMaxMonths
          : duration.count > kMaxMillis / period_of({.count = 1, .unit = duration.unit});
  if (too_long) return std::nullopt;
  return duration;
}

Millis add_duration(Millis from, const Duration& duration) {
  if (duration.unit != Duration::Unit::month) return from + period_of(duration);
  const chrono::sys_days day = day_of(from);
  const Millis time_of_day = from - millis_of(day);
  const chrono::year_month_day date(day);
  const chrono::year_month target =
      chrono::year_month(date.year(), date.month()) + chrono::months(duration.count);
  const chrono::day last =
      chrono::year_month_day_last(target.year(), chrono::month_day_last(target.month())).day();
  return millis_of(chrono::sys_days(target / std::min(date.day(), last))) + time_of_day;
}

std::optional<Millis> add_duration(Millis from, std::string_view duration) {
  const auto parsed = parse_duration(duration);
  if (!parsed) return std::nullopt;
  return add_duration(from, *parsed);
}

Window window_containing(Millis now, const Duration& duration) {
  if (duration.unit == Duration::Unit::month) {
    const chrono::year_month_day date(day_of(now));
    const std::int64_t months_since_epoch = (static_cast<int>(date.year()) - 1970) * 12 +
                                            static_cast<int>(static_cast<unsigned>(date.month())) -
                                            1;
    const std::int64_t first = floor_to(months_since_epoch, duration.count);
    const chrono::year_month start_month =
        chrono::year(1970) / chrono::January + chrono::months(first);
    const Millis start = millis_of(chrono::sys_days(start_month / 1));
    return {start, add_duration(start, duration)};
  }
  const Millis period = period_of(duration);
  const Millis origin = duration.unit == Duration::Unit::week ? kFirstMonday : 0;
  const Millis start = origin + floor_to(now - origin, period);
  return {start, start + period};
}

}  // namespace llmux::store
