// The store's files hold key hashes, spend and prompts: whatever the umask, they are created for
// the gateway's user only, and files an earlier version created readable by others are tightened.
#include "store/private_file.hpp"
#include "store/spend_journal.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

namespace llmux::store {
namespace {

// The file's permission bits in octal, as ls -l and chmod write them ("0600").
std::string mode_of(const fs::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return "missing";
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(status.st_mode & 07777));
  return text;
}

// The widest umask there is, for the test's length: files get what their creator asks for.
class PrivateFileTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    saved_umask_ = ::umask(0);
  }
  void TearDown() override {
    ::umask(saved_umask_);
    StoreTest::TearDown();
  }

  // A file as earlier versions left it: readable by everyone.
  void make_readable_by_all(const fs::path& path) {
    std::ofstream{path};
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  }

  mode_t saved_umask_ = 0;
};

TEST_F(PrivateFileTest, TheDatabaseItsWalAndShmAndTheJournalAreCreatedForTheOwnerOnly) {
  const auto database = open_sqlite(path());
  Store(open_sqlite(path())).insert_key(key_named("k"));  // a write: the WAL and its index exist
  const std::string journal_path = (dir_ / "journal.jsonl").string();
  SpendJournal journal(open_sqlite(path()), journal_path, std::chrono::hours(1));
  journal.append({event_for("a", "k", 1)});
  for (const std::string& file : {path(), path() + "-wal", path() + "-shm", journal_path}) {
    EXPECT_EQ(mode_of(file), "0600") << file;
  }
}

TEST_F(PrivateFileTest, ABatchSetAsideGoesToAnOwnerOnlyFile) {
  Store(open_sqlite(path())).insert_key(key_named("k"));
  const std::string journal_path = (dir_ / "journal.jsonl").string();
  const std::vector<SpendEvent> events{event_for("a", "k", 1)};
  const std::string line = journal_line("cut", events);
  std::ofstream(journal_path) << line.substr(0, line.size() / 2);  // a line cut by a crash
  SpendJournal journal(open_sqlite(path()), journal_path, std::chrono::hours(1));
  EXPECT_TRUE(journal.index_all());
  EXPECT_EQ(mode_of(journal_path + ".rejected"), "0600");
}

TEST_F(PrivateFileTest, FilesAnEarlierVersionLeftReadableByOthersAreTightened) {
  const std::string journal_path = (dir_ / "journal.jsonl").string();
  make_readable_by_all(path());  // an empty file is an empty database
  make_readable_by_all(path() + "-wal");
  make_readable_by_all(path() + "-shm");
  make_readable_by_all(journal_path);
  SpendJournal journal(open_sqlite(path()), journal_path, std::chrono::hours(1));
  for (const std::string& file : {path(), path() + "-wal", path() + "-shm", journal_path}) {
    EXPECT_EQ(mode_of(file), "0600") << file;
  }
}

TEST_F(PrivateFileTest, OwnerOnlyModesOfAnExistingFileAreKept) {
  const fs::path file = dir_ / "read-only";
  std::ofstream(file) << "x";
  ASSERT_EQ(::chmod(file.c_str(), 0400), 0);
  make_private_if_present(file.string());
  EXPECT_EQ(mode_of(file), "0400") << "only group and other access is taken away";
  make_private_if_present((dir_ / "missing").string());
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

}  // namespace
}  // namespace llmux::store
