// The answer to DUMP_MEMORY (`ctdb dumpmemory`) and to a SRVID_MEM_DUMP message
// (`ctdb rddumpmemory`): where this daemon's memory goes. 4.17 answers with a
// talloc report; ours has no talloc tree, so it reports the process and heap
// totals and then each area that grows with use (clients, links, srvids,
// controls in flight, databases and their vacuum queues).
#include <malloc.h>
#include <sys/stat.h>
#include <tdb.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/daemon.h"

namespace ctdb::daemon {
namespace {

// A "VmXXX:   1234 kB" value of /proc/self/status, in kB (0 when missing).
long proc_status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  size_t n = strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return strtol(line.c_str() + n + 1, nullptr, 10);
    }
  }
  return 0;
}

void add_line(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void add_line(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  *out += buf;
  *out += '\n';
}

const char* db_kind(const Database& db) {
  if (db.persistent()) return "persistent";
  if (db.replicated()) return "replicated";
  return "volatile";
}

}  // namespace

std::string Daemon::memory_report(const char* role) const {
  std::string out;
  struct mallinfo2 mi = mallinfo2();
  size_t in_use = mi.uordblks + mi.hblkhd;
  add_line(&out, "full memory report on '%s' (pnn %u, pid %d, total %zu bytes in use)", role,
           state_.pnn(), static_cast<int>(getpid()), in_use);
  add_line(&out, "    %-20s rss %ld kB (peak %ld kB)", "process", proc_status_kb("VmRSS"),
           proc_status_kb("VmHWM"));
  add_line(&out, "    %-20s %zu bytes in use, %zu bytes free, %zu bytes mmapped", "heap (malloc)",
           static_cast<size_t>(mi.uordblks), static_cast<size_t>(mi.fordblks),
           static_cast<size_t>(mi.hblkhd));
  add_line(&out, "    %-20s %zu connected", "clients", clients_ ? clients_->num_clients() : 0);
  size_t peers = 0, linked = 0;
  for (const NodeInfo& n : state_.nodes()) {
    if (n.pnn == state_.pnn() || (n.flags & NODE_FLAGS_DELETED)) continue;
    peers++;
    if (state_.connected(n.pnn)) linked++;
  }
  add_line(&out, "    %-20s %zu of %zu peers connected", "node links", linked, peers);
  add_line(&out, "    %-20s %zu registrations", "srvids", srvids_.count());
  add_line(&out, "    %-20s %zu registered", "tunnels", tunnels_ ? tunnels_->count() : 0);
  add_line(&out, "    %-20s %zu awaiting a reply", "controls", router_ ? router_->pending() : 0);
  add_line(&out, "    %-20s %zu one-shot", "timers", oneshots_.size());
  if (!dbs_) return out;
  std::vector<long long> sizes;  // of each database's file, in dbs_->all() order
  long long file_bytes = 0;
  for (const auto& db : dbs_->all()) {
    struct stat st;
    sizes.push_back(stat(db->ltdb->path().c_str(), &st) == 0 ? st.st_size : 0);
    file_bytes += sizes.back();
  }
  add_line(&out, "    %-20s %zu attached, %lld bytes in tdb files", "databases", dbs_->all().size(),
           file_bytes);
  for (size_t i = 0; i < dbs_->all().size(); i++) {
    const Database& db = *dbs_->all()[i];
    add_line(&out, "        %-28s %-10s %10lld bytes  hash %-6d vacuum %zu delete, %zu fetch",
             db.name.c_str(), db_kind(db), sizes[i], tdb_hash_size(db.ltdb->raw()),
             db.vacuum.delete_queue.size(), db.vacuum.fetch_queue.size());
  }
  return out;
}

}  // namespace ctdb::daemon
