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

// Removes group and other access from the open file `fd`.
void tighten(int fd, const std::string& path) {
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) ||
      (status.st_mode & kGroupAndOthers) == 0)
    return;
  const mode_t before = status.st_mode & 07777;
  const mode_t after = before & ~kGroupAndOthers;
  if (::fchmod(fd, after) != 0) return;
  char modes[32];
  std::snprintf(modes, sizeof modes, "from %04o to %04o", static_cast<unsigned>(before),
                static_cast<unsigned>(after));
  telemetry::log_now("warning", "changed the permissions of " + path + " " + modes +
                                    ": it holds key hashes and spend, for this user only");
}

}  // namespace

int open_private_file(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CREAT | O_CLOEXEC, kOwnerOnly);
  if (fd >= 0) tighten(fd, path);
  return fd;
}

void make_private_file(const std::string& path) {
  const int fd = open_private_file(path, O_RDONLY);
  if (fd >= 0) ::close(fd);
}

void make_private_if_present(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  tighten(fd, path);
  ::close(fd);
}

}  // namespace llmux::store
