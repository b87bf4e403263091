// The store's files hold key hashes, spend and prompts: whatever the umask, they are created for
// the gateway's user only, and files an earlier version created readable by others are tightened.
#include "store/private_file.hpp"
#include "store/spend_journal.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

// Whether another process sees a read lock on the byte SQLite's WAL connections each hold on
// their -shm (its "DMS" byte, offset 128): a process that lost it lets the next process to open
// the database reset the shared memory under its connections.
bool shm_held_by_this_process(const std::string& shm) {
  const pid_t child = ::fork();
  if (child == 0) {
    const int fd = ::open(shm.c_str(), O_RDWR);
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 128;
    probe.l_len = 1;
    const bool held = fd >= 0 && ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type == F_RDLCK;
    ::_exit(held ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(PrivateFileTest, ASecondConnectionLeavesTheFirstOnesLocksInPlace) {
  auto first = open_sqlite(path());
  first->query("CREATE TABLE t (x BIGINT)");
  ASSERT_TRUE(shm_held_by_this_process(path() + "-shm"));
  // Its permission check on the database and its -shm must not open and close them.
  auto second = open_sqlite(path());
  EXPECT_TRUE(shm_held_by_this_process(path() + "-shm"));
  first->query("INSERT INTO t VALUES (1)");
  EXPECT_EQ(second->query("SELECT COUNT(*) FROM t").front().integer(0), 1);
}

}  // namespace
}  // namespace llmux::store
