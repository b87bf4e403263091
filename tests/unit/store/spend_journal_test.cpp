#include "store/spend_journal.hpp"
#include "manual_clock.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace llmux::store {
namespace {

using namespace std::chrono_literals;

std::vector<SpendEvent> events_for(const std::string& prefix, const std::string& token, int count,
                                   double spend) {
  std::vector<SpendEvent> events;
  for (int n = 0; n < count; ++n)
    events.push_back(event_for(prefix + std::to_string(n), token, spend));
  return events;
}

std::string file_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SpendJournalTest : public StoreTest {
 protected:
  std::string journal_path() const { return (dir_ / "journal.jsonl").string(); }
  std::size_t rows() { return Store(open_sqlite(path())).spend_logs({.limit = 100000}).size(); }
  double key_spend(const std::string& token) {
    return Store(open_sqlite(path())).find_key(token)->spend;
  }
  void insert_key(const std::string& token) {
    Store(open_sqlite(path())).insert_key(key_named(token));
  }
};

TEST_F(SpendJournalTest, ALineCarriesEveryFieldOfEveryEventBackUnchanged) {
  SpendEvent full = event_for("a", "hash", 0.000123456789);
  full.completion_start_time = 5500;
  full.response_id = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT";
  full.model = "gpt-4o-upstream";
  full.model_group = "chat";
  full.model_id = "deployment-1";
  full.provider = "openai";
  full.user_id = "user \"quoted\"";
  full.team_id = "team\\back\nslash";
  full.end_user = "é中 \x01";
  full.cache_hit = true;
  full.tags = {"t1", "t \"2\""};
  full.metadata = R"({"k":"v"})";
  full.messages = R"([{"role":"user","content":"hi"}])";
  full.response = "";
  SpendEvent bare = event_for("b", "", 0);
  bare.metadata = "{}";

  const std::vector<SpendEvent> both{full, bare};
  const std::string line = journal_line("batch-1", both);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per batch, whatever the text holds";
  std::string batch_id;
  std::vector<SpendEvent> events;
  ASSERT_TRUE(
      parse_journal_line(std::string_view(line).substr(0, line.size() - 1), batch_id, events));
  EXPECT_EQ(batch_id, "batch-1");
  ASSERT_EQ(events.size(), 2u);
  const SpendEvent& back = events[0];
  EXPECT_EQ(back.request_id, full.request_id);
  EXPECT_EQ(back.response_id, full.response_id);
  EXPECT_EQ(back.call_type, full.call_type);
  EXPECT_EQ(back.api_key, full.api_key);
  EXPECT_EQ(back.spend, full.spend) << "the shortest text that reads back as the same double";
  EXPECT_EQ(back.prompt_tokens, full.prompt_tokens);
  EXPECT_EQ(back.completion_tokens, full.completion_tokens);
  EXPECT_EQ(back.start_time, full.start_time);
  EXPECT_EQ(back.end_time, full.end_time);
  EXPECT_EQ(back.completion_start_time, full.completion_start_time);
  EXPECT_EQ(back.model, full.model);
  EXPECT_EQ(back.model_group, full.model_group);
  EXPECT_EQ(back.model_id, full.model_id);
  EXPECT_EQ(back.provider, full.provider);
  EXPECT_EQ(back.user_id, full.user_id);
  EXPECT_EQ(back.team_id, full.team_id);
  EXPECT_EQ(back.end_user, full.end_user);
  EXPECT_EQ(back.status, full.status);
  EXPECT_TRUE(back.cache_hit);
  EXPECT_EQ(back.tags, full.tags);
  EXPECT_EQ(back.metadata, full.metadata);
  EXPECT_EQ(back.messages, full.messages);
  EXPECT_EQ(back.response, full.response);
  EXPECT_FALSE(events[1].completion_start_time);
  EXPECT_FALSE(events[1].messages);
  EXPECT_FALSE(events[1].response);
  EXPECT_TRUE(events[1].tags.empty());
  EXPECT_EQ(events[1].response_id, "");

  EXPECT_FALSE(
      parse_journal_line(std::string_view(line).substr(0, line.size() / 2), batch_id, events));
}

// The tests that start the indexer drive the journal's clock by hand and wait for the indexer
// to go idle (ManualClock::await_idle): what it did by then is what it decided to do.
TEST_F(SpendJournalTest, TheIdleIndexerWritesEachBatchAndEmptiesTheFile) {
  insert_key("k");
  ManualClock clock;
  SpendJournal journal(open_sqlite(path()), journal_path(), 1h, clock);
  journal.start();
  journal.append(events_for("a", "k", 3, 0.5));
  journal.append(events_for("b", "k", 2, 0.25));
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(journal.unindexed_events(), 0u);
  EXPECT_EQ(rows(), 5u);
  EXPECT_NEAR(key_spend("k"), 2.0, 1e-12);
  EXPECT_EQ(fs::file_size(journal_path()), 0u) << "emptied once the indexer caught up";
  EXPECT_TRUE(journal.take_replayed_spend().empty())
      << "this run's spend is in the live counters already";
  journal.stop();
  journal.remove_if_empty();
  EXPECT_FALSE(fs::exists(journal_path()));
}

// Without an indexer (a core that is never idle), the store thread writes what waited longer
// than the lag, and nothing sooner.
TEST_F(SpendJournalTest, TheStoreThreadWritesLinesThatWaitedLongerThanTheLag) {
  insert_key("k");
  ManualClock clock;
  SpendJournal journal(open_sqlite(path()), journal_path(), 30s, clock);
  journal.append(events_for("a", "k", 2, 1));
  journal.index_overdue(/*bounded=*/false);
  EXPECT_EQ(rows(), 0u) << "just appended: nothing is due";
  clock.advance(30s);
  journal.index_overdue(/*bounded=*/false);
  EXPECT_EQ(rows(), 0u) << "waited exactly the lag, not longer";
  EXPECT_EQ(journal.unindexed_events(), 2u);
  clock.advance(1ms);
  journal.index_overdue(/*bounded=*/false);
  EXPECT_EQ(rows(), 2u);
  EXPECT_EQ(journal.unindexed_events(), 0u);
  EXPECT_NEAR(key_spend("k"), 2.0, 1e-12);
}

// A flush writes a share of what is overdue (as many lines as it appended, and a few more),
// and leaves the rest to the maintenance tick, so the workers' calls do not pile up meanwhile.
TEST_F(SpendJournalTest, AFlushWritesAShareOfTheOverdueLines) {
  insert_key("k");
  ManualClock clock;
  SpendJournal journal(open_sqlite(path()), journal_path(), 500ms, clock);
  journal.append(events_for("a", "k", static_cast<int>(30 * SpendJournal::kEventsPerLine), 0.5));
  journal.index_overdue(/*bounded=*/true);
  EXPECT_EQ(rows(), 0u) << "not due yet";
  clock.advance(600ms);
  journal.append(events_for("b", "k", 1, 0.5));
  journal.index_overdue(/*bounded=*/true);
  EXPECT_EQ(rows(), (SpendJournal::kOverdueLinesPerFlush + 1) * SpendJournal::kEventsPerLine)
      << "a kOverdueLinesPerFlush share, plus one line for the one just appended";
  journal.index_overdue(/*bounded=*/false);
  EXPECT_EQ(rows(), 30 * SpendJournal::kEventsPerLine)
      << "every overdue line; the newest is not due yet";
  EXPECT_EQ(journal.unindexed_events(), 1u);
}

// The idle indexer leaves overdue lines alone: it could be starved in the middle of one while
// the store thread waits for it. Lines that are not overdue stay its own.
TEST_F(SpendJournalTest, TheIndexerLeavesOverdueLinesToTheStoreThread) {
  insert_key("k");
  ManualClock clock;
  SpendJournal journal(open_sqlite(path()), journal_path(), 1s, clock);
  journal.append(events_for("a", "k", 3, 0.5));
  clock.advance(1s + 1ms);
  journal.start();
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(rows(), 0u) << "the indexer looked at an overdue line and left it";
  journal.index_overdue(/*bounded=*/true);
  EXPECT_EQ(rows(), 3u) << "the store thread wrote it";
  journal.append(events_for("b", "k", 2, 0.5));
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(rows(), 5u) << "the indexer wrote a line that is not overdue";
  EXPECT_EQ(journal.unindexed_events(), 0u);
}

TEST_F(SpendJournalTest, ABurstGoesInLinesOfAtMostKEventsPerLineAndLandsWhole) {
  insert_key("k");
  SpendJournal journal(open_sqlite(path()), journal_path(), 1h);
  const int count = static_cast<int>(2 * SpendJournal::kEventsPerLine + 1);
  journal.append(events_for("e", "k", count, 0.5));
  const std::string text = file_text(journal_path());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_EQ(journal.unindexed_events(), static_cast<std::size_t>(count));
  EXPECT_TRUE(journal.index_all());
  EXPECT_EQ(rows(), static_cast<std::size_t>(count));
  EXPECT_NEAR(key_spend("k"), count * 0.5, 1e-9);
}

// The calls of the first kHeldEvents go to the database as the store thread had them; those past
// it are read back from the file. Both land, every one of them once.
TEST_F(SpendJournalTest, CallsBeyondTheHeldOnesAreReadBackFromTheFileAndEveryOneLands) {
  insert_key("k");
  SpendJournal journal(open_sqlite(path()), journal_path(), 1h);
  const int count = static_cast<int>(2 * SpendJournal::kHeldEvents + 3);
  journal.append(events_for("e", "k", count, 0.25));
  journal.append(events_for("f", "k", 2, 0.25));
  ASSERT_TRUE(journal.index_all());
  std::vector<std::string> ids;
  for (const auto& row : Store(open_sqlite(path())).spend_logs({.limit = 100000}))
    ids.push_back(row.request_id);
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> expected;
  for (int n = 0; n < count; ++n) expected.push_back("req-e" + std::to_string(n));
  expected.push_back("req-f0");
  expected.push_back("req-f1");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
  EXPECT_NEAR(key_spend("k"), (count + 2) * 0.25, 1e-9);
}

// What an earlier run left is the store thread's to write, and the indexer leaves it alone (and
// what is behind it, in file order) until the store thread has: then it writes the rest at its
// next look (kIdleCheck).
TEST_F(SpendJournalTest, TheIndexerLeavesAnEarlierRunsLinesToTheStoreThread) {
  insert_key("k");
  std::ofstream(journal_path()) << journal_line("earlier", events_for("e", "k", 2, 1));
  ManualClock clock;
  SpendJournal journal(open_sqlite(path()), journal_path(), 1h, clock);
  journal.start();
  journal.append(events_for("now", "k", 1, 1));
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(rows(), 0u) << "in file order, behind the earlier run's line";
  journal.index_earlier_run();
  EXPECT_EQ(journal.take_replayed_spend(), (std::map<std::string, double>{{"k", 2.0}}));
  EXPECT_EQ(rows(), 2u) << "the store thread wrote the earlier run's line only";
  clock.advance(SpendJournal::kIdleCheck);
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(rows(), 3u);
  EXPECT_EQ(journal.unindexed_events(), 0u);
  EXPECT_TRUE(journal.take_replayed_spend().empty());
}

// An indexer that found the database away tries again after kRetryAway, not sooner.
TEST_F(SpendJournalTest, TheIndexerRetriesADatabaseThatIsAwayAfterKRetryAway) {
  insert_key("k");
  std::atomic<bool> down = false;
  ManualClock clock;
  SpendJournal journal(std::make_unique<FlakyDatabase>(open_sqlite(path()), down), journal_path(),
                       1h, clock);
  down = true;
  journal.start();
  journal.append(events_for("a", "k", 3, 0.5));
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(journal.unindexed_events(), 3u);
  down = false;
  clock.advance(SpendJournal::kRetryAway - 1ms);
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(rows(), 0u) << "not tried again yet";
  clock.advance(1ms);
  ASSERT_TRUE(clock.await_idle());
  EXPECT_EQ(rows(), 3u);
  EXPECT_EQ(journal.unindexed_events(), 0u);
}

TEST_F(SpendJournalTest, SpendWaitsInTheFileWhileTheDatabaseIsAwayAndLandsOnceItIsBack) {
  insert_key("k");
  std::atomic<bool> down = false;
  SpendJournal journal(std::make_unique<FlakyDatabase>(open_sqlite(path()), down), journal_path(),
                       1h);
  down = true;
  journal.start();
  for (int batch = 0; batch < 4; ++batch)
    journal.append(events_for("e" + std::to_string(batch) + "-", "k", 3, 0.25));
  EXPECT_FALSE(journal.index_all());
  EXPECT_EQ(journal.unindexed_events(), 12u);
  EXPECT_GT(fs::file_size(journal_path()), 0u);
  EXPECT_EQ(rows(), 0u);

  down = false;
  EXPECT_TRUE(journal.index_all());
  EXPECT_EQ(rows(), 12u);
  EXPECT_NEAR(key_spend("k"), 3.0, 1e-12);
  EXPECT_TRUE(journal.take_replayed_spend().empty())
      << "this run's spend must not be counted twice";
}

// What the db_exceptions alert hears: each spell of the database being away once, and each batch
// it refuses.
TEST_F(SpendJournalTest, AFailedWriteIsReportedOncePerSpellOfTheDatabaseAway) {
  insert_key("k");
  std::atomic<bool> down = false;
  SpendJournal journal(std::make_unique<FlakyDatabase>(open_sqlite(path()), down), journal_path(),
                       1h);
  std::vector<std::string> reported;
  journal.on_write_failed([&reported](const std::string& what) { reported.push_back(what); });
  down = true;
  journal.append(events_for("a", "k", 3, 0.5));
  EXPECT_FALSE(journal.index_all());
  EXPECT_FALSE(journal.index_all());
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("spend of 3 calls not written yet"), std::string::npos) << reported[0];
  down = false;
  EXPECT_TRUE(journal.index_all());
  down = true;
  journal.append(events_for("b", "k", 1, 0.5));
  EXPECT_FALSE(journal.index_all());
  EXPECT_EQ(reported.size(), 2u) << "a new spell";
}

// A shutdown with the database away leaves the spend in the file; the next start writes it and
// reports it as replayed (the new run's live counters do not hold it), except a batch that had
// landed already (a crash between its commit and the file being emptied).
TEST_F(SpendJournalTest, AnEarlierRunsLinesAreWrittenOnceAndReportedAsReplayed) {
  insert_key("k");
  insert_key("landed");
  {
    std::atomic<bool> down = false;
    SpendJournal journal(std::make_unique<FlakyDatabase>(open_sqlite(path()), down), journal_path(),
                         1h);
    down = true;
    journal.append(events_for("a", "k", 2, 1.5));
    EXPECT_FALSE(journal.index_all());
  }
  {
    const auto landed = events_for("l", "landed", 1, 4);
    std::ofstream(journal_path(), std::ios::app) << journal_line("landed-batch", landed);
    Store(open_sqlite(path())).write_spend("landed-batch", landed);
  }
  SpendJournal journal(open_sqlite(path()), journal_path(), 1h);
  EXPECT_EQ(journal.unindexed_events(), 3u);
  EXPECT_TRUE(journal.index_all());
  EXPECT_EQ(rows(), 3u);
  EXPECT_NEAR(key_spend("k"), 3.0, 1e-12);
  EXPECT_NEAR(key_spend("landed"), 4.0, 1e-12) << "written once";
  const auto replayed = journal.take_replayed_spend();
  EXPECT_EQ(replayed, (std::map<std::string, double>{{"k", 3.0}}));
}

TEST_F(SpendJournalTest, ALineCutByACrashIsSetAsideAndTheRestLands) {
  insert_key("k");
  const std::string whole = journal_line("whole", events_for("w", "k", 2, 1));
  std::ofstream(journal_path()) << whole << whole.substr(0, whole.size() / 2);
  SpendJournal journal(open_sqlite(path()), journal_path(), 1h);
  std::vector<std::string> reported;  // what the db_exceptions alert hears
  journal.on_write_failed([&reported](const std::string& what) { reported.push_back(what); });
  journal.append(events_for("after", "k", 1, 1));
  EXPECT_TRUE(journal.index_all());
  EXPECT_EQ(rows(), 3u) << "the whole line and the batch appended after the cut one";
  EXPECT_EQ(file_text(journal_path() + ".rejected"), whole.substr(0, whole.size() / 2) + "\n");
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("a spend batch the database cannot take was set aside"),
            std::string::npos)
      << reported[0];
}

}  // namespace
}  // namespace llmux::store
