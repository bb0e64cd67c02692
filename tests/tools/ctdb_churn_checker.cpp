// Jepsen-style history checker for persistent-database transactions under churn.
// Workers increment counters in transactions and log every attempt; `dump` reads one node's
// copy of the database; `check` holds the final copies against the histories.
//
//   ctdb_churn_checker worker SOCKET DB NAME KEYS STOPFILE HISTORY [SEED]
//       Until STOPFILE exists: one client session after another (each a fresh child process,
//       so a session's g_lock entries die with it, as a 4.17 client that exits on a lost
//       daemon), each running increments on one of KEYS counters until an error ends it.
//       One increment is one transaction that writes three records:
//         counter-K = n       the counter, read and incremented
//         step-K-n  = OP      which op produced value n of counter K
//         op-OP     = K n     the op's own record
//       HISTORY gets, per op: "invoke OP K", then "ok OP" (acknowledged), "fail OP WHY"
//       (nothing was sent for commit: not applied) or "info OP WHY" (the commit may or may
//       not have been applied: indeterminate). An op with no outcome line is indeterminate.
//   ctdb_churn_checker hold SOCKET DB OP KEY HOLD_MS HISTORY
//       One increment whose transaction stays open HOLD_MS ms (its g_lock held) after the
//       stores; prints "locked" when it is, then "acknowledged" or "not acknowledged".
//   ctdb_churn_checker dump SOCKET DB
//       Prints the node's local copy, one "key<TAB>value" line per record, sorted.
//   ctdb_churn_checker check HISTORY... -- NODE=DUMP...
//       Prints a summary and every violation (naming the ops); exits 1 on any violation,
//       2 on unreadable input.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/database.h"
#include "client/transaction.h"

using ctdb::client::Client;
using ctdb::client::Database;
using ctdb::client::Deadline;
using ctdb::client::Transaction;
using ctdb::proto::Bytes;

namespace {

constexpr const char* kSeqnumKey = "__db_sequence_number__";

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string string_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

// ---------------------------------------------------------------------------------------------
// worker

// Appends one line with a single write(2), so lines of successive sessions never interleave.
class History {
 public:
  explicit History(const std::string& path)
      : fd_(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) {}
  ~History() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  void line(const std::string& text) {
    std::string l = text + "\n";
    if (write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) {
      perror("history write");
      _exit(9);
    }
  }

 private:
  int fd_;
};

// One increment of `key` as op `op`, logged in the history. After the stores, with hold_ms > 0,
// says "locked" on stdout and keeps the transaction (and its lock) open that long before the
// commit. Returns 0 when acknowledged.
int increment(Client& client, Database& db, const std::string& op, const std::string& key,
              History& history, int hold_ms) {
  history.line("invoke " + op + " " + key);
  std::unique_ptr<Transaction> t;
  if (int err = Transaction::start(client, Deadline::after_seconds(60), db, false, &t); err != 0) {
    history.line("fail " + op + " start " + std::to_string(err));
    return 4;
  }
  Bytes v;
  if (int err = t->fetch(bytes_of(key), &v); err != 0) {
    history.line("fail " + op + " fetch " + std::to_string(err));
    return 4;
  }
  long n = v.empty() ? 0 : strtol(string_of(v).c_str(), nullptr, 10);
  std::string next = std::to_string(n + 1);
  int err = t->store(bytes_of(key), bytes_of(next));
  if (err == 0) err = t->store(bytes_of("step-" + key.substr(8) + "-" + next), bytes_of(op));
  if (err == 0) err = t->store(bytes_of("op-" + op), bytes_of(key + " " + next));
  if (err != 0) {
    history.line("fail " + op + " store " + std::to_string(err));
    return 4;
  }
  if (hold_ms > 0) {
    printf("locked\n");
    fflush(stdout);
    usleep(static_cast<useconds_t>(hold_ms) * 1000);
  }
  // From here on the records may have reached some nodes: an error is indeterminate.
  err = t->commit();
  if (err != 0) {
    history.line("info " + op + " commit " + std::to_string(err));
    return 5;
  }
  history.line("ok " + op);
  return 0;
}

int connect_and_attach(const std::string& socket, const std::string& db_name,
                       std::unique_ptr<Client>* client, std::unique_ptr<Database>* db) {
  if (int err = Client::connect(socket, client); err != 0) return err;
  return Database::attach(**client, Deadline::after_seconds(60), db_name, ctdb::DB_FLAGS_PERSISTENT,
                          db);
}

// One client session: exits 0 when STOPFILE appears, non-zero after the first error.
int worker_session(const std::string& socket, const std::string& db_name, const std::string& name,
                   int keys, const std::string& stopfile, History& history, unsigned session,
                   unsigned seed) {
  std::unique_ptr<Client> client;
  std::unique_ptr<Database> db;
  if (connect_and_attach(socket, db_name, &client, &db) != 0) return 3;
  std::mt19937 rng(seed * 7919u + session);
  for (unsigned seq = 1; !file_exists(stopfile); seq++) {
    std::string op = name + "." + std::to_string(session) + "." + std::to_string(seq);
    std::string key = "counter-" + std::to_string(rng() % static_cast<unsigned>(keys));
    if (int err = increment(*client, *db, op, key, history, 0); err != 0) return err;
  }
  return 0;
}

// One increment that keeps its transaction open for HOLD_MS before committing.
int hold(int argc, char** argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s hold SOCKET DB OP KEY HOLD_MS HISTORY\n", argv[0]);
    return 2;
  }
  History history(argv[7]);
  if (!history.ok()) return 2;
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Client> client;
  std::unique_ptr<Database> db;
  if (int err = connect_and_attach(argv[2], argv[3], &client, &db); err != 0) {
    fprintf(stderr, "connect/attach failed: %d\n", err);
    return 1;
  }
  int ret = increment(*client, *db, argv[4], argv[5], history, atoi(argv[6]));
  printf("%s\n", ret == 0 ? "acknowledged" : "not acknowledged");
  return ret == 0 ? 0 : 1;
}

int worker(int argc, char** argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: %s worker SOCKET DB NAME KEYS STOPFILE HISTORY [SEED]\n", argv[0]);
    return 2;
  }
  std::string socket = argv[2], db = argv[3], name = argv[4], stopfile = argv[6];
  int keys = atoi(argv[5]);
  unsigned seed = argc > 8 ? static_cast<unsigned>(strtoul(argv[8], nullptr, 10)) : 1;
  History history(argv[7]);
  if (keys <= 0 || !history.ok()) {
    fprintf(stderr, "worker: bad KEYS or cannot open %s\n", argv[7]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  unsigned sessions = 0;
  while (!file_exists(stopfile)) {
    sessions++;
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      _exit(worker_session(socket, db, name, keys, stopfile, history, sessions, seed));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 9) return 1;
    // The node is down or recovering: try again shortly with a new session.
    usleep(200 * 1000);
  }
  printf("%s: %u sessions\n", name.c_str(), sessions);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// dump

std::string escaped(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
      out += static_cast<char>(p[i]);
    } else {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", p[i]);
      out += buf;
    }
  }
  return out;
}

int dump_record(tdb_context*, TDB_DATA key, TDB_DATA data, void* priv) {
  auto* lines = static_cast<std::vector<std::string>*>(priv);
  if (data.dsize < ctdb::proto::kLtdbHeaderSize) return 0;  // not a ctdb record
  const uint8_t* v = data.dptr + ctdb::proto::kLtdbHeaderSize;
  size_t vlen = data.dsize - ctdb::proto::kLtdbHeaderSize;
  std::string k = escaped(key.dptr, key.dsize);
  std::string value;
  if (k == std::string(kSeqnumKey) + "\\x00" && vlen == 8) {
    uint64_t n;
    memcpy(&n, v, sizeof(n));
    k = kSeqnumKey;
    value = std::to_string(n);
  } else {
    value = escaped(v, vlen);
  }
  if (vlen == 0) return 0;  // a deleted record
  lines->push_back(k + "\t" + value);
  return 0;
}

int dump(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s dump SOCKET DB\n", argv[0]);
    return 2;
  }
  std::unique_ptr<Client> client;
  if (int err = Client::connect(argv[2], &client); err != 0) {
    fprintf(stderr, "connect %s: %s\n", argv[2], strerror(err));
    return 1;
  }
  std::unique_ptr<Database> db;
  if (int err = Database::attach(*client, Deadline::after_seconds(60), argv[3],
                                 ctdb::DB_FLAGS_PERSISTENT, &db);
      err != 0) {
    fprintf(stderr, "attach %s failed: %d\n", argv[3], err);
    return 1;
  }
  std::vector<std::string> lines;
  if (tdb_traverse_read(db->tdb(), dump_record, &lines) < 0) {
    fprintf(stderr, "traverse of %s failed\n", db->path().c_str());
    return 1;
  }
  std::sort(lines.begin(), lines.end());
  for (const auto& l : lines) printf("%s\n", l.c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
// check

enum class Outcome { kNone, kOk, kFail, kInfo };

struct Op {
  std::string key;
  Outcome outcome = Outcome::kNone;
  std::string history;  // the file it came from
};

// One node's copy, as the records the workers write.
struct State {
  std::map<std::string, std::string> records;                      // everything, for agreement
  std::map<std::string, long> counters;                            // counter-K -> n
  std::map<std::string, std::map<long, std::string>> steps;        // counter-K -> n -> op
  std::map<std::string, std::pair<std::string, long>> op_records;  // op -> (counter-K, n)
  bool has_seqnum = false;
  uint64_t seqnum = 0;
  std::vector<std::string> malformed;
};

class Checker {
 public:
  bool load_history(const std::string& path);
  bool load_state(const std::string& node, const std::string& path);
  int run();

 private:
  void violation(const std::string& text) { violations_.push_back(text); }
  void check_structure(const State& s, const std::string& where);
  void check_history(const State& s, const std::string& where);
  void check_agreement();

  std::map<std::string, Op> ops_;
  std::vector<std::string> op_order_;
  std::vector<std::pair<std::string, State>> nodes_;
  std::vector<std::string> violations_;
  std::vector<std::string> notes_;  // allowed, but worth seeing
  size_t histories_ = 0;
};

bool Checker::load_history(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "cannot read history %s\n", path.c_str());
    return false;
  }
  histories_++;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    std::istringstream ls(line);
    std::string what, op, rest;
    ls >> what >> op;
    std::getline(ls, rest);
    if (what.empty()) continue;
    std::string where = path + ":" + std::to_string(lineno);
    if (what == "invoke") {
      std::string key = rest.empty() ? "" : rest.substr(rest.find_first_not_of(' '));
      if (ops_.count(op)) {
        violation("history: op " + op + " invoked twice (" + where + ")");
        continue;
      }
      ops_[op] = Op{key, Outcome::kNone, path};
      op_order_.push_back(op);
      continue;
    }
    auto it = ops_.find(op);
    if (it == ops_.end() || it->second.outcome != Outcome::kNone) {
      violation("history: '" + what + " " + op + "' without a pending invoke (" + where + ")");
      continue;
    }
    if (what == "ok") {
      it->second.outcome = Outcome::kOk;
    } else if (what == "fail") {
      it->second.outcome = Outcome::kFail;
    } else if (what == "info") {
      it->second.outcome = Outcome::kInfo;
    } else {
      fprintf(stderr, "%s: unknown history line '%s'\n", where.c_str(), line.c_str());
      return false;
    }
  }
  return true;
}

bool Checker::load_state(const std::string& node, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "cannot read state %s\n", path.c_str());
    return false;
  }
  State s;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      s.malformed.push_back(line);
      continue;
    }
    std::string key = line.substr(0, tab), value = line.substr(tab + 1);
    s.records[key] = value;
    char* end = nullptr;
    if (key == kSeqnumKey) {
      s.has_seqnum = true;
      s.seqnum = strtoull(value.c_str(), &end, 10);
    } else if (key.rfind("counter-", 0) == 0) {
      s.counters[key] = strtol(value.c_str(), &end, 10);
      if (*end != '\0') s.malformed.push_back(line);
    } else if (key.rfind("step-", 0) == 0) {
      size_t dash = key.rfind('-');
      long n = strtol(key.c_str() + dash + 1, &end, 10);
      if (dash <= 5 || *end != '\0') {
        s.malformed.push_back(line);
        continue;
      }
      s.steps["counter-" + key.substr(5, dash - 5)][n] = value;
    } else if (key.rfind("op-", 0) == 0) {
      size_t sp = value.find(' ');
      long n = sp == std::string::npos ? 0 : strtol(value.c_str() + sp + 1, &end, 10);
      if (sp == std::string::npos || *end != '\0') {
        s.malformed.push_back(line);
        continue;
      }
      s.op_records[key.substr(3)] = {value.substr(0, sp), n};
    } else {
      s.malformed.push_back(line);
    }
  }
  nodes_.emplace_back(node, std::move(s));
  return true;
}

// What the records of one copy must satisfy on their own: every counter value 1..n was
// produced by exactly one op, each op produced exactly one value, and each op's own record
// names the value its step shows.
void Checker::check_structure(const State& s, const std::string& where) {
  for (const auto& m : s.malformed) violation(where + ": unexpected record '" + m + "'");
  std::map<std::string, std::vector<std::string>> produced;  // op -> "K=n" it produced
  std::set<std::string> keys;
  for (const auto& c : s.counters) keys.insert(c.first);
  for (const auto& st : s.steps) keys.insert(st.first);
  for (const auto& key : keys) {
    auto ci = s.counters.find(key);
    long n = ci == s.counters.end() ? 0 : ci->second;
    auto si = s.steps.find(key);
    static const std::map<long, std::string> kNoSteps;
    const auto& steps = si == s.steps.end() ? kNoSteps : si->second;
    for (long v = 1; v <= n; v++) {
      if (!steps.count(v)) {
        violation(where + ": " + key + " is " + std::to_string(n) + " but no op produced value " +
                  std::to_string(v) + " (an increment without its records)");
      }
    }
    for (const auto& step : steps) {
      produced[step.second].push_back(key + "=" + std::to_string(step.first));
      if (step.first > n || step.first < 1) {
        violation(where + ": op " + step.second + " produced " + key + "=" +
                  std::to_string(step.first) + " but the counter is " + std::to_string(n) +
                  " (the increment was lost: the counter went back)");
      }
    }
  }
  for (const auto& p : produced) {
    if (p.second.size() > 1) {
      std::string list;
      for (const auto& x : p.second) list += (list.empty() ? "" : ", ") + x;
      violation(where + ": op " + p.first + " applied " + std::to_string(p.second.size()) +
                " times (" + list + ")");
    }
    if (!s.op_records.count(p.first)) {
      violation(where + ": op " + p.first + " has a step but not its own record (a torn commit)");
    }
  }
  for (const auto& r : s.op_records) {
    const std::string& key = r.second.first;
    long n = r.second.second;
    auto si = s.steps.find(key);
    std::string at;
    if (si != s.steps.end() && si->second.count(n)) at = si->second.at(n);
    if (at != r.first) {
      violation(where + ": op " + r.first + " read " + key + "=" + std::to_string(n - 1) +
                " and wrote " + std::to_string(n) + ", but value " + std::to_string(n) + " is op " +
                (at.empty() ? "(none)" : at) +
                "'s: two transactions ran on the same value, one increment is lost");
    }
  }
  // Every commit moves the number by one from the value it read. Two transactions whose lock
  // was lost with a node (g_lock.tdb is volatile) may overlap; when their records are disjoint
  // both apply (the RSN checks refuse any other overlap) and share one number. More numbers
  // than commits is never right.
  if (s.has_seqnum && s.seqnum > s.op_records.size()) {
    violation(where + ": " + kSeqnumKey + " is " + std::to_string(s.seqnum) + " but only " +
              std::to_string(s.op_records.size()) + " ops are applied (one commit each)");
  } else if (s.has_seqnum && s.seqnum < s.op_records.size()) {
    notes_.push_back(where + ": " + kSeqnumKey + " is " + std::to_string(s.seqnum) + " for " +
                     std::to_string(s.op_records.size()) +
                     " ops applied: " + std::to_string(s.op_records.size() - s.seqnum) +
                     " commit(s) ran beside another one (a transaction lock lost with a node) "
                     "on other records");
  }
}

// The copy against what the clients saw.
void Checker::check_history(const State& s, const std::string& where) {
  for (const auto& name : op_order_) {
    const Op& op = ops_.at(name);
    auto r = s.op_records.find(name);
    bool applied = r != s.op_records.end();
    if (op.outcome == Outcome::kOk && !applied) {
      violation(where + ": LOST acknowledged op " + name + " (" + op.key + ", " + op.history + ")");
    }
    if (op.outcome == Outcome::kFail && applied) {
      violation(where + ": op " + name + " failed before its commit was sent but is applied");
    }
    if (applied && r->second.first != op.key) {
      violation(where + ": op " + name + " was invoked on " + op.key + " but applied to " +
                r->second.first);
    }
  }
  for (const auto& r : s.op_records) {
    if (!ops_.count(r.first)) {
      violation(where + ": op " + r.first + " is applied but no client ever invoked it");
    }
  }
}

// Every node holds the same records (the persistent database is replicated whole).
void Checker::check_agreement() {
  const auto& ref = nodes_.front();
  for (size_t i = 1; i < nodes_.size(); i++) {
    const auto& other = nodes_[i];
    std::vector<std::string> diffs;
    std::set<std::string> keys;
    for (const auto& r : ref.second.records) keys.insert(r.first);
    for (const auto& r : other.second.records) keys.insert(r.first);
    for (const auto& k : keys) {
      auto a = ref.second.records.find(k);
      auto b = other.second.records.find(k);
      std::string va = a == ref.second.records.end() ? "(absent)" : a->second;
      std::string vb = b == other.second.records.end() ? "(absent)" : b->second;
      if (va != vb)
        diffs.push_back(k + ": " + ref.first + " " + va + ", " + other.first + " " + vb);
    }
    if (diffs.empty()) continue;
    std::string text = "nodes " + ref.first + " and " + other.first + " disagree on " +
                       std::to_string(diffs.size()) + " records:";
    for (size_t j = 0; j < diffs.size() && j < 10; j++) text += "\n      " + diffs[j];
    if (diffs.size() > 10) text += "\n      ...";
    violation(text);
  }
}

int Checker::run() {
  if (nodes_.empty()) {
    fprintf(stderr, "no node state given\n");
    return 2;
  }
  // Copies that are identical are checked once, named by all their nodes.
  std::vector<std::pair<std::string, const State*>> distinct;
  for (const auto& n : nodes_) {
    bool found = false;
    for (auto& d : distinct) {
      if (d.second->records == n.second.records) {
        d.first += "," + n.first;
        found = true;
        break;
      }
    }
    if (!found) distinct.emplace_back(n.first, &n.second);
  }
  check_agreement();
  for (const auto& d : distinct) {
    check_structure(*d.second, d.first);
    check_history(*d.second, d.first);
  }

  const State& ref = nodes_.front().second;
  size_t ok = 0, failed = 0, indeterminate = 0, indet_applied = 0, ok_applied = 0;
  for (const auto& name : op_order_) {
    const Op& op = ops_.at(name);
    bool applied = ref.op_records.count(name) > 0;
    switch (op.outcome) {
      case Outcome::kOk:
        ok++;
        ok_applied += applied;
        break;
      case Outcome::kFail:
        failed++;
        break;
      default:
        indeterminate++;
        indet_applied += applied;
        break;
    }
  }
  printf(
      "history: %zu histories, %zu attempts: %zu acknowledged, %zu failed before "
      "commit, %zu indeterminate (%zu of them applied, %zu not)\n",
      histories_, op_order_.size(), ok, failed, indeterminate, indet_applied,
      indeterminate - indet_applied);
  long sum = 0;
  std::string counters;
  for (const auto& c : ref.counters) {
    counters += " " + c.first + "=" + std::to_string(c.second);
    sum += c.second;
  }
  printf("counters on %s:%s (sum %ld; %zu ops applied)\n", nodes_.front().first.c_str(),
         counters.c_str(), sum, ref.op_records.size());
  for (const auto& n : nodes_) {
    std::string same =
        (n.second.records == ref.records ? "same as " : "DIFFERENT from ") + nodes_.front().first;
    printf("node %s: %zu records, %s %llu, %s\n", n.first.c_str(), n.second.records.size(),
           kSeqnumKey, static_cast<unsigned long long>(n.second.seqnum), same.c_str());
  }
  for (const auto& n : notes_) printf("note: %s\n", n.c_str());
  for (const auto& v : violations_) printf("VIOLATION %s\n", v.c_str());
  printf("%zu violations\n", violations_.size());
  return violations_.empty() ? 0 : 1;
}

int check(int argc, char** argv) {
  Checker c;
  int i = 2;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (!c.load_history(argv[i])) return 2;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: %s check HISTORY... -- NODE=DUMP...\n", argv[0]);
    return 2;
  }
  for (i++; i < argc; i++) {
    const char* eq = strchr(argv[i], '=');
    if (eq == nullptr) {
      fprintf(stderr, "expected NODE=DUMP, got %s\n", argv[i]);
      return 2;
    }
    if (!c.load_state(std::string(argv[i], static_cast<size_t>(eq - argv[i])), eq + 1)) return 2;
  }
  return c.run();
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "worker") return worker(argc, argv);
  if (cmd == "hold") return hold(argc, argv);
  if (cmd == "dump") return dump(argc, argv);
  if (cmd == "check") return check(argc, argv);
  fprintf(stderr,
          "usage: %s worker SOCKET DB NAME KEYS STOPFILE HISTORY [SEED]\n"
          "       %s hold SOCKET DB OP KEY HOLD_MS HISTORY\n"
          "       %s dump SOCKET DB\n"
          "       %s check HISTORY... -- NODE=DUMP...\n",
          argv[0], argv[0], argv[0], argv[0]);
  return 2;
}
