// Starting a script as the daemon's child (event scripts, the debug script,
// the notification script) and collecting what it prints.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ctdb::daemon::monitor {

// Forks and execs argv[0] with `argv`, in a process group of its own, with
// stdin from /dev/null, stdout and stderr into a pipe whose read end (non
// blocking, close-on-exec) goes to *out_fd, no other descriptor of the
// daemon, default signal handling, and the daemon's environment with `env`
// (NAME=value) added or replacing. A failed exec prints why and exits 126.
// Returns the pid, or -1 with errno set.
pid_t spawn_script(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   int* out_fd);

// Appends what `fd` has now to *out (keeping at most kMaxScriptOutput bytes).
// False at end of file or on an error other than "would block".
constexpr size_t kMaxScriptOutput = 64 * 1024;
bool drain_output(int fd, std::string* out);

// Logs `output` line by line, each prefixed with "who: ".
void log_output(int level, const std::string& who, const std::string& output);

}  // namespace ctdb::daemon::monitor
