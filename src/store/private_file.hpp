// The store's files (the SQLite database and its -wal/-shm, the spend journal and what it sets
// aside) hold key hashes, spend and, with store_prompts_in_spend_logs, prompts: they are
// readable and writable by the gateway's own user only (mode 0600, whatever the umask).
#pragma once

#include <string>

namespace llmux::store {

// Opens `path` with `flags` (O_CREAT is added; O_CLOEXEC too), creating it with mode 0600 when
// missing. An existing file that grants group or others any access loses that access (logged
// once as a warning): earlier versions created them 0644. Returns the descriptor, or -1 with
// errno set.
int open_private_file(const std::string& path, int flags);

// The same for a file another library opens (SQLite): creates it empty with mode 0600 when
// missing, tightens it when present. Failures are left to that library to report.
void make_private_file(const std::string& path);

// Tightens an existing file as open_private_file does; a missing file is left missing.
void make_private_if_present(const std::string& path);

}  // namespace llmux::store
