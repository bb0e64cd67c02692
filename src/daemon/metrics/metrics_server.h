// The daemon's Prometheus endpoint (--metrics-listen, ctdb.conf [metrics]
// listen): GET /metrics over HTTP with libevent's own evhttp on the
// reactor. Record counts come from a forked child that walks the database
// files, so that a scrape never waits on a chain lock a client holds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/event_loop.h"
#include "daemon/metrics/exposition.h"

struct evhttp;
struct evhttp_request;

namespace ctdb {
class Ltdb;
}
namespace ctdb::daemon {
class ChildWatch;
}

namespace ctdb::daemon::metrics {

// What the endpoint asks of the daemon.
class MetricsHost {
 public:
  virtual ~MetricsHost() = default;
  // Every metric but the record counts, written into `out`.
  virtual void collect_metrics(Exposition& out) = 0;
  struct DbFile {
    std::string name;
    Ltdb* ltdb;  // the daemon's own handle: libtdb refuses a second open of a file in a
                 // process, and the counting child inherits the daemon's list of open files
  };
  // The attached databases, for the record count.
  virtual std::vector<DbFile> metric_db_files() const = 0;
};

class MetricsServer {
 public:
  // Both must outlive the server.
  MetricsServer(EventLoop& loop, MetricsHost& host);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on ADDR:PORT ("127.0.0.1:9100", "[::1]:9100"); false with *error.
  bool listen(const std::string& addr_port, std::string* error);

  // Record counts older than this are counted again at the next scrape (which
  // still answers at once with the last counts).
  static constexpr double kRecountAfter = 5.0;

 private:
  static void on_request(evhttp_request* req, void* arg);
  void answer(evhttp_request* req);
  void start_count();
  void count_done();

  EventLoop& loop_;
  MetricsHost& host_;
  evhttp* http_ = nullptr;

  // The last completed record count, and the one running.
  struct Counted {
    std::string name;
    int64_t records = -1;  // -1: the file could not be read
  };
  std::vector<Counted> counts_;
  double counted_at_ = -1;  // monotonic seconds; -1: never
  std::vector<MetricsHost::DbFile> counting_;
  pid_t count_pid_ = -1;
  int count_fd_ = -1;
  std::string count_out_;
  std::unique_ptr<FdWatcher> count_watcher_;
  std::unique_ptr<ChildWatch> count_child_;
  uint64_t scrapes_ = 0;
};

}  // namespace ctdb::daemon::metrics
