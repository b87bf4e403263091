#include "store/durations.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace llmux::store {
namespace {

// Unix milliseconds of a UTC date and time.
Millis utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0) {
  using namespace std::chrono;
  const sys_days date =
      year_month_day(std::chrono::year(year), std::chrono::month(month), std::chrono::day(day));
  return duration_cast<milliseconds>(date.time_since_epoch() + hours(hour) + minutes(minute))
      .count();
}

TEST(ParseDuration, LitellmUnits) {
  EXPECT_EQ(add_duration(0, "30s"), 30'000);
  EXPECT_EQ(add_duration(0, "30m"), 30 * 60'000);
  EXPECT_EQ(add_duration(0, "2h"), 2 * 3'600'000);
  EXPECT_EQ(add_duration(0, "1d"), 86'400'000);
  EXPECT_EQ(add_duration(0, "2w"), 14 * 86'400'000LL);
  const auto month = parse_duration("3mo");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->count, 3);
  EXPECT_EQ(month->unit, Duration::Unit::month);
  for (std::string_view bad : {"", "s", "0s", "-1s", "5y", "5 d", "1.5h", "1mo ",
                               "99999999999999999999d", "999999999999w", "200000mo"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
    EXPECT_FALSE(add_duration(0, bad)) << bad;
  }
}

TEST(AddDuration, AMonthIsTheSameDayNextMonthAtTheSameTime) {
  EXPECT_EQ(add_duration(utc(2026, 11, 26, 14, 30), "1mo"), utc(2026, 12, 26, 14, 30));
  EXPECT_EQ(add_duration(utc(2026, 3, 15), "1mo"), utc(2026, 4, 15));
  // Not 30 days: March has 31.
  EXPECT_EQ(*add_duration(utc(2026, 3, 1), "1mo") - utc(2026, 3, 1), 31 * 86'400'000LL);
}

TEST(AddDuration, MonthEndsAreClampedToTheLastDay) {
  EXPECT_EQ(add_duration(utc(2026, 1, 31, 9), "1mo"), utc(2026, 2, 28, 9));
  EXPECT_EQ(add_duration(utc(2028, 1, 31, 9), "1mo"), utc(2028, 2, 29, 9));  // leap year
  EXPECT_EQ(add_duration(utc(2026, 3, 31), "1mo"), utc(2026, 4, 30));
  EXPECT_EQ(add_duration(utc(2026, 1, 30), "1mo"), utc(2026, 2, 28));
  EXPECT_EQ(add_duration(utc(2026, 1, 31), "3mo"), utc(2026, 4, 30));
}

TEST(AddDuration, DecemberRollsIntoJanuaryOfTheNextYear) {
  EXPECT_EQ(add_duration(utc(2026, 12, 31, 23, 59), "1mo"), utc(2027, 1, 31, 23, 59));
  EXPECT_EQ(add_duration(utc(2026, 12, 15), "1mo"), utc(2027, 1, 15));
  EXPECT_EQ(add_duration(utc(2026, 11, 30), "3mo"), utc(2027, 2, 28));
  EXPECT_EQ(add_duration(utc(2026, 6, 1), "12mo"), utc(2027, 6, 1));
  EXPECT_EQ(add_duration(utc(2026, 6, 1), "25mo"), utc(2028, 7, 1));
}

TEST(WindowContaining, DaysAndShorterAreWholePeriodsFromTheEpoch) {
  const Duration day = *parse_duration("1d");
  EXPECT_EQ(window_containing(utc(2026, 11, 26, 14, 30), day).start, utc(2026, 11, 26));
  EXPECT_EQ(window_containing(utc(2026, 11, 26, 14, 30), day).end, utc(2026, 11, 27));
  // The window's first instant belongs to it, its end to the next one.
  EXPECT_EQ(window_containing(utc(2026, 11, 27), day).start, utc(2026, 11, 27));
  const Duration minutes = *parse_duration("30m");
  EXPECT_EQ(window_containing(utc(2026, 11, 26, 14, 45), minutes).start, utc(2026, 11, 26, 14, 30));
  EXPECT_EQ(window_containing(utc(2026, 11, 26, 14, 45), minutes).end, utc(2026, 11, 26, 15, 0));
}

TEST(WindowContaining, WeeksStartOnMonday) {
  const Duration week = *parse_duration("1w");
  // Thursday 2026-11-26 is in the week of Monday 2026-11-23.
  EXPECT_EQ(window_containing(utc(2026, 11, 26, 12), week).start, utc(2026, 11, 23));
  EXPECT_EQ(window_containing(utc(2026, 11, 26, 12), week).end, utc(2026, 11, 30));
}

TEST(WindowContaining, MonthsAreCalendarMonths) {
  const Duration month = *parse_duration("1mo");
  EXPECT_EQ(window_containing(utc(2026, 2, 14, 8), month).start, utc(2026, 2, 1));
  EXPECT_EQ(window_containing(utc(2026, 2, 14, 8), month).end, utc(2026, 3, 1));
  EXPECT_EQ(window_containing(utc(2026, 12, 31, 23, 59), month).end, utc(2027, 1, 1));
  const Duration quarter = *parse_duration("3mo");
  EXPECT_EQ(window_containing(utc(2026, 11, 26), quarter).start, utc(2026, 10, 1));
  EXPECT_EQ(window_containing(utc(2026, 11, 26), quarter).end, utc(2027, 1, 1));
}

}  // namespace
}  // namespace llmux::store
