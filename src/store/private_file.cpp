#include "store/private_file.hpp"

#include "telemetry/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace llmux::store {

namespace {

constexpr mode_t kOwnerOnly = S_IRUSR | S_IWUSR;
constexpr mode_t kGroupAndOthers = S_IRWXG | S_IRWXO;

// Removes group and other access from a regular file, given its status and a way to chmod it.
template <class Chmod>
void tighten(const struct stat& status, const std::string& path, Chmod chmod) {
  if (!S_ISREG(status.st_mode) || (status.st_mode & kGroupAndOthers) == 0) return;
  const mode_t before = status.st_mode & 07777;
  const mode_t after = before & ~kGroupAndOthers;
  if (chmod(after) != 0) return;
  char modes[32];
  std::snprintf(modes, sizeof modes, "from %04o to %04o", static_cast<unsigned>(before),
                static_cast<unsigned>(after));
  telemetry::log_now("warning", "changed the permissions of " + path + " " + modes +
                                    ": it holds key hashes and spend, for this user only");
}

// By path, never by opening the file: closing any descriptor of a file drops every POSIX lock
// this process holds on it, and SQLite's connections of this process hold such locks on the
// database and its -shm (losing the -shm one lets another process reset the shared memory
// under them: SQLITE_PROTOCOL there, SIGBUS here).
bool tighten_path(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return false;
  tighten(status, path, [&](mode_t mode) { return ::chmod(path.c_str(), mode); });
  return true;
}

}  // namespace

int open_private_file(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CREAT | O_CLOEXEC, kOwnerOnly);
  struct stat status {};
  if (fd >= 0 && ::fstat(fd, &status) == 0)
    tighten(status, path, [fd](mode_t mode) { return ::fchmod(fd, mode); });
  return fd;
}

void make_private_file(const std::string& path) {
  if (tighten_path(path)) return;
  // A new file: no connection of this process holds a lock on it yet.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, kOwnerOnly);
  if (fd >= 0) ::close(fd);
}

void make_private_if_present(const std::string& path) { tighten_path(path); }

}  // namespace llmux::store
