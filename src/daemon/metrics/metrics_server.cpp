// The Prometheus endpoint (see metrics_server.h).
#include "daemon/metrics/metrics_server.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "common/ltdb.h"
#include "daemon/child_process.h"
#include "protocol/types.h"

namespace ctdb::daemon::metrics {
namespace {

// The record counter: one line per file, its record count or -1.
[[noreturn]] void count_records(const std::vector<MetricsHost::DbFile>& files, int out_fd) {
  std::string out;
  for (const auto& f : files) {
    // A read traverse takes the chain locks (this child's own: fcntl locks are not inherited).
    int n = f.ltdb->traverse(
        [](const proto::Bytes&, const LtdbHeader&, const proto::Bytes&) { return true; });
    out += std::to_string(n < 0 ? -1 : n) + "\n";
  }
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t w = write(out_fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    left -= static_cast<size_t>(w);
  }
  _exit(0);
}

}  // namespace

MetricsServer::MetricsServer(EventLoop& loop, MetricsHost& host) : loop_(loop), host_(host) {}

MetricsServer::~MetricsServer() {
  if (http_ != nullptr) evhttp_free(http_);
  count_watcher_.reset();
  if (count_fd_ >= 0) close(count_fd_);
  if (count_pid_ > 0) kill(count_pid_, SIGKILL);
}

bool MetricsServer::listen(const std::string& addr_port, std::string* error) {
  auto addr = proto::SockAddr::parse_with_port(addr_port);
  if (!addr) {
    *error = "--metrics-listen: not ADDRESS:PORT: '" + addr_port + "'";
    return false;
  }
  http_ = evhttp_new(loop_.base());
  if (http_ == nullptr) {
    *error = "evhttp_new failed";
    return false;
  }
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(http_, &MetricsServer::on_request, this);
  if (evhttp_bind_socket_with_handle(http_, addr->to_string().c_str(), addr->port) == nullptr) {
    *error = "cannot listen for metrics on " + addr_port + ": " + strerror(errno);
    evhttp_free(http_);
    http_ = nullptr;
    return false;
  }
  CTDB_LOGF(kLogNotice, "Serving metrics on http://%s/metrics", addr_port.c_str());
  start_count();
  return true;
}

void MetricsServer::on_request(evhttp_request* req, void* arg) {
  static_cast<MetricsServer*>(arg)->answer(req);
}

void MetricsServer::answer(evhttp_request* req) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  if (path == nullptr || strcmp(path, "/metrics") != 0) {
    evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is served here");
    return;
  }
  scrapes_++;
  if (count_pid_ < 0 && (counted_at_ < 0 || monotonic_now() - counted_at_ >= kRecountAfter)) {
    start_count();
  }
  Exposition out;
  host_.collect_metrics(out);
  out.family("ctdb_db_records", "gauge",
             "Records in the node's copy of each attached database (counted by a child "
             "process, at most kRecountAfter seconds old)");
  for (const Counted& c : counts_) {
    if (c.records >= 0) out.sample("ctdb_db_records", {{"db", c.name}}, double(c.records));
  }
  out.family("ctdb_db_records_age_seconds", "gauge", "How old the record counts are");
  if (counted_at_ >= 0) out.sample("ctdb_db_records_age_seconds", monotonic_now() - counted_at_);
  out.family("ctdb_metrics_scrapes_total", "counter", "Scrapes of this endpoint");
  out.sample("ctdb_metrics_scrapes_total", double(scrapes_));

  evbuffer* body = evbuffer_new();
  evbuffer_add(body, out.text().data(), out.text().size());
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  evhttp_send_reply(req, HTTP_OK, "OK", body);
  evbuffer_free(body);
}

void MetricsServer::start_count() {
  counting_ = host_.metric_db_files();
  const std::vector<MetricsHost::DbFile>& files = counting_;
  int fd = -1;
  pid_t pid = fork_reporting_child(
      [&files](int out_fd) {
        reset_child_signals();
        restore_child_scheduling();
        close_fds_from(out_fd + 1);
        count_records(files, out_fd);
      },
      &fd);
  if (pid < 0) {
    CTDB_LOGF(kLogWarning, "Cannot fork the metrics record counter: %s", strerror(errno));
    return;
  }
  count_pid_ = pid;
  count_fd_ = fd;
  count_out_.clear();
  count_watcher_ = std::make_unique<FdWatcher>(loop_, fd, [this] {
    char buf[4096];
    ssize_t n;
    while ((n = read(count_fd_, buf, sizeof(buf))) > 0) count_out_.append(buf, size_t(n));
    if (n == 0) count_done();
  });
  count_child_ = std::make_unique<ChildWatch>(loop_, pid, [this](int) {
    count_pid_ = -1;
    count_child_.reset();  // allowed from its own callback
  });
}

void MetricsServer::count_done() {
  count_watcher_.reset();
  close(count_fd_);
  count_fd_ = -1;
  std::vector<Counted> counts;
  size_t pos = 0;
  for (const auto& f : counting_) {
    size_t nl = count_out_.find('\n', pos);
    if (nl == std::string::npos) break;
    counts.push_back({f.name, atoll(count_out_.substr(pos, nl - pos).c_str())});
    pos = nl + 1;
  }
  counts_ = std::move(counts);
  counted_at_ = monotonic_now();
}

}  // namespace ctdb::daemon::metrics
