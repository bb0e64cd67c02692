// libFuzzer target: the client library's reading of what a daemon answers (src/client:
// controls.cpp's typed controls, client.cpp's REPLY_CALL / REPLY_ERROR, database.cpp's attach,
// local record reads, record locks and traverse) and the tool's text made from it (format.h).
// A real Client is connected over a Unix socket to this process, which plays the daemon: before
// each call it writes the answer, built from the input, with the request id the call will use.
//
// Input: a sequence of operations, each a u8 selector and its fields (see run_op). Checks: a
// reply the control table accepts is accepted by the client; a failed status comes back as the
// result; decoded answers re-encode to the same bytes; a traverse hands over exactly the
// records that were sent, in order; a record read returns the bytes stored.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "client/client.h"
#include "client/controls.h"
#include "client/database.h"
#include "client/format.h"
#include "fuzz_common.h"
#include "protocol/packet.h"

namespace ctdb::fuzz {
namespace {

using client::Client;
using client::ControlReply;
using client::Deadline;
using namespace proto;

constexpr uint32_t kDbId = 0x1234abcd;

struct FakeDaemon {
  int fd = -1;  // the daemon's end of the client's connection
  std::unique_ptr<Client> client;
  std::unique_ptr<client::Database> db;
};

void write_all(int fd, const Bytes& b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    FUZZ_CHECK(n > 0);
    off += static_cast<size_t>(n);
  }
}

// Reads one whole packet (blocking); only used while connecting.
Bytes read_packet(int fd) {
  Bytes b(4);
  FUZZ_CHECK(::recv(fd, b.data(), 4, MSG_WAITALL) == 4);
  uint32_t len = b[0] | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24;
  FUZZ_CHECK(len >= kHeaderSize && len < (1u << 20));
  b.resize(len);
  FUZZ_CHECK(::recv(fd, b.data() + 4, len - 4, MSG_WAITALL) == static_cast<ssize_t>(len - 4));
  return b;
}

void send_reply(int fd, uint32_t reqid, int32_t status, const Bytes& data) {
  Header h;
  h.reqid = reqid;
  ReplyControl r;
  r.status = status;
  r.data = data;
  if (status != 0) r.errmsg = "fuzz";
  write_all(fd, encode(h, r));
}

// The request id the client's next request will carry.
uint32_t next_reqid(FakeDaemon& d) { return d.client->connection().new_reqid() + 1; }

// Throws away the client's requests and whatever it did not read of ours.
void drain(FakeDaemon& d) {
  uint8_t buf[65536];
  while (::recv(d.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
  }
  Deadline now = Deadline::after(std::chrono::milliseconds(0));
  Bytes pkt;
  while (d.client->connection().receive(now, &pkt) == 0) {
  }
  client::Message m;
  while (d.client->wait_message(now, &m) == 0) {
  }
}

FakeDaemon& daemon() {
  static FakeDaemon* d = [] {
    auto* fd = new FakeDaemon();
    // An abstract socket: no file to clean up, however the process ends.
    std::string name = std::string(1, '\0') + "ctdb-fuzz-replies-" + std::to_string(getpid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(listener >= 0);
    FUZZ_CHECK(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    FUZZ_CHECK(::listen(listener, 1) == 0);
    // The client waits for its pnn while connecting: answer it from a thread, once.
    std::thread answer([&] {
      fd->fd = ::accept(listener, nullptr, nullptr);
      FUZZ_CHECK(fd->fd >= 0);
      Bytes req = read_packet(fd->fd);
      Header h;
      ReqControl c;
      FUZZ_CHECK(decode(req.data(), req.size(), &h, &c) && c.opcode == CONTROL_GET_PNN);
      send_reply(fd->fd, h.reqid, 0, {});
    });
    FUZZ_CHECK(Client::connect(name, &fd->client) == 0);
    answer.join();
    ::close(listener);
    FUZZ_CHECK(fd->client->pnn() == 0);
    int big = 4 << 20;
    ::setsockopt(fd->fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));

    // Attach a database whose tdb lives in memory (TDB_INTERNAL in DB_OPEN_FLAGS).
    uint32_t r = next_reqid(*fd);
    Bytes id;
    Writer(&id).u32(kDbId);
    send_reply(fd->fd, r, 0, id);
    send_reply(fd->fd, r + 1, 0, Bytes{'f', 'u', 'z', 'z', '.', 't', 'd', 'b', 0});
    send_reply(fd->fd, r + 2, 0, {});
    Bytes flags;
    Writer(&flags).u32(TDB_INTERNAL);
    send_reply(fd->fd, r + 3, 0, flags);
    FUZZ_CHECK(client::Database::attach(*fd->client, Deadline::never(), "fuzz.tdb", 0, &fd->db) ==
               0);
    FUZZ_CHECK(fd->db->db_id() == kDbId);
    drain(*fd);
    return fd;
  }();
  return *d;
}

// A status: mostly 0 (success), else any value from the input.
int32_t read_status(Input& in) {
  uint8_t s = in.u8();
  return s < 192 ? 0 : static_cast<int32_t>(in.u32());
}

Bytes read_data(Input& in) {
  size_t len = in.u8() | in.u8() << 8;
  return in.bytes(len);
}

// A control whose answer is typed data: the client must take what the table takes, fail with the
// daemon's status, and hand back a value that encodes to the reply's bytes.
template <typename Fn>
void data_control(FakeDaemon& d, uint32_t opcode, int32_t status, const Bytes& data, Fn call) {
  send_reply(d.fd, next_reqid(d), status, data);
  int ret = call();
  if (status != 0) {
    FUZZ_CHECK(ret == status);
    return;
  }
  const ControlInfo* info = find_control(opcode);
  FUZZ_CHECK(info != nullptr);
  if (check_reply_payload(opcode, data)) FUZZ_CHECK(ret == 0);
  // String answers are read up to their NUL, as 4.17's client does; the rest are whole.
  if (ret == 0 && info->reply != PayloadKind::kString) {
    FUZZ_CHECK(roundtrip_payload(info->reply, data));
  }
}

// The traverse of database.cpp: the records sent as messages to the traverse's srvid are
// handed over in order up to the end marker; others are skipped.
void traverse_op(FakeDaemon& d, Input& in) {
  uint64_t srvid = SRVID_CLIENT_RANGE | static_cast<uint64_t>(getpid());
  int32_t start_status = read_status(in);
  uint32_t r = next_reqid(d);
  send_reply(d.fd, r, 0, {});
  send_reply(d.fd, r + 1, start_status, {});
  std::vector<std::pair<Bytes, Bytes>> expected;
  bool ended = false;
  int n = in.u8() % 8;
  for (int i = 0; i < n; i++) {
    uint8_t kind = in.u8();
    ReqMessage m;
    m.srvid = (kind & 3) == 3 ? srvid + 1 : srvid;
    if ((kind & 3) == 2) {
      m.data = read_data(in);  // raw bytes, maybe a record, maybe not
    } else {
      RecData rec;
      rec.reqid = kind;
      rec.key = in.bytes(in.u8());
      rec.data = in.bytes(in.u8());
      m.data = to_bytes(rec);
    }
    Header h;
    write_all(d.fd, encode(h, m));
    RecData rec;
    if (ended || m.srvid != srvid || !from_bytes(m.data, &rec)) continue;
    if (rec.key.empty() && rec.data.empty()) {
      ended = true;
      continue;
    }
    if (rec.data.size() <= kLtdbHeaderSize) continue;  // no header, or a deleted record
    expected.emplace_back(rec.key, Bytes(rec.data.begin() + kLtdbHeaderSize, rec.data.end()));
  }
  Header h;
  ReqMessage end;
  end.srvid = srvid;
  end.data = to_bytes(RecData{});
  write_all(d.fd, encode(h, end));
  send_reply(d.fd, r + 2, 0, {});

  size_t got = 0;
  int ret = client::traverse(
      *d.client, *d.db, 0, Deadline::never(),
      [&](const Bytes& key, const LtdbHeader& header, const Bytes& value) {
        FUZZ_CHECK(got < expected.size());
        FUZZ_CHECK(key == expected[got].first && value == expected[got].second);
        FUZZ_CHECK(!client::dump_data("key", key).empty());
        FUZZ_CHECK(!client::dump_ltdb_header(header.dmaster, header.rsn, header.flags).empty());
        got++;
        return 0;
      });
  FUZZ_CHECK(ret == start_status);
  FUZZ_CHECK(got == (start_status == 0 ? expected.size() : 0));
}

// REQ_CALL answered by REPLY_CALL or REPLY_ERROR (client.cpp).
void call_op(FakeDaemon& d, Input& in) {
  bool error = in.u8() & 1;
  int32_t status = static_cast<int32_t>(in.u32());
  Bytes data = read_data(in);
  Header h;
  h.reqid = next_reqid(d);
  if (error) {
    ReplyError e;
    e.status = status;
    e.msg = data;
    write_all(d.fd, encode(h, e));
  } else {
    ReplyCall c;
    c.status = status;
    c.data = data;
    write_all(d.fd, encode(h, c));
  }
  ReqCall req;
  req.db_id = kDbId;
  req.key = {1};
  ReplyCall reply;
  int ret = d.client->call(req, Deadline::never(), &reply);
  FUZZ_CHECK(ret == (error ? EIO : 0));
  FUZZ_CHECK(reply.status == status);
  if (!error) FUZZ_CHECK(reply.data == data);
}

// A record stored in the local tdb by someone else, read by ltdb_fetch and taken by a record
// lock (whose migration request is refused with REPLY_ERROR), then written through the lock.
void record_op(FakeDaemon& d, Input& in) {
  bool readonly = in.u8() & 1;
  Bytes key = in.bytes(1 + in.u8() % 16);
  if (key.empty()) key = {0};
  Bytes raw = read_data(in);
  tdb_context* tdb = d.db->tdb();
  TDB_DATA k{key.data(), key.size()};
  TDB_DATA v{raw.data(), raw.size()};
  FUZZ_CHECK(tdb_store(tdb, k, v, TDB_REPLACE) == 0);

  LtdbHeader header;
  Bytes value;
  int ret = d.db->ltdb_fetch(key, &header, &value);
  if (raw.size() >= kLtdbHeaderSize) {
    FUZZ_CHECK(ret == 0);
    FUZZ_CHECK(value == Bytes(raw.begin() + kLtdbHeaderSize, raw.end()));
  } else {
    // 4.17 reads a short value as no record, or as EIO when tdb's last error says otherwise.
    FUZZ_CHECK(ret == EIO || (ret == 0 && value.empty() && header.dmaster == UNKNOWN_PNN));
  }

  Header h;
  h.reqid = next_reqid(d);
  ReplyError refuse;
  refuse.status = -1;
  write_all(d.fd, encode(h, refuse));
  std::unique_ptr<client::RecordLock> lock;
  ret = client::RecordLock::fetch(*d.client, *d.db, key, readonly, &lock);
  if (raw.size() < kLtdbHeaderSize) {
    FUZZ_CHECK(ret == EPROTO);
  } else {
    FUZZ_CHECK(ret == 0 || ret == EIO);
  }
  if (ret == 0) {
    FUZZ_CHECK(lock->value() == Bytes(raw.begin() + kLtdbHeaderSize, raw.end()));
    if (!readonly) FUZZ_CHECK(lock->header().dmaster == d.client->pnn());
    Bytes next = {'v', static_cast<uint8_t>(raw.size())};
    int sret = lock->store(next);
    if (sret == 0) {
      lock.reset();
      FUZZ_CHECK(d.db->ltdb_fetch(key, &header, &value) == 0 && value == next);
    } else {
      FUZZ_CHECK(sret == EINVAL);  // a read-only copy
    }
  }
  lock.reset();
  tdb_delete(tdb, k);
}

void run_op(FakeDaemon& d, Input& in) {
  uint8_t op = in.u8();
  client::Client& c = *d.client;
  Deadline never = Deadline::never();
  const uint32_t me = c.pnn();
  if (op >= 24) {
    switch (op % 4) {
      case 0:
        return traverse_op(d, in);
      case 1:
        return call_op(d, in);
      case 2:
        return record_op(d, in);
      case 3: {
        // A g_lock record's value, as transaction.cpp reads it.
        Bytes b = read_data(in);
        GLockList list;
        if (from_bytes(b, &list)) {
          FUZZ_CHECK(b.size() % kGLockSize == 0 && to_bytes(list).size() == b.size());
        }
        return;
      }
    }
  }
  int32_t status = read_status(in);
  Bytes data = read_data(in);
  switch (op) {
    case 0: {
      // Answers in the status field: the client reports them as they are.
      int v = 0;
      send_reply(d.fd, next_reqid(d), status, data);
      int ret = client::ctrl_ping(c, me, never, &v);
      FUZZ_CHECK(status < 0 ? ret == status : (ret == 0 && v == status));
      int32_t pid = 0;
      send_reply(d.fd, next_reqid(d), status, data);
      FUZZ_CHECK(client::ctrl_get_pid(c, me, never, &pid) == 0 && pid == status);
      int mode = 0;
      send_reply(d.fd, next_reqid(d), status, data);
      ret = client::ctrl_get_recmode(c, me, never, &mode);
      FUZZ_CHECK(status < 0 ? ret == status : (ret == 0 && mode == status));
      send_reply(d.fd, next_reqid(d), status, data);
      FUZZ_CHECK(client::ctrl_process_exists(c, me, never, 1, &mode) == 0 && mode == status);
      return;
    }
    case 1: {
      uint32_t rs = 0;
      data_control(d, CONTROL_GET_RUNSTATE, status, data,
                   [&] { return client::ctrl_get_runstate(c, me, never, &rs); });
      (void)client::runstate_name(rs);
      return;
    }
    case 2: {
      Uptime u;
      data_control(d, CONTROL_UPTIME, status, data,
                   [&] { return client::ctrl_uptime(c, me, never, &u); });
      (void)client::ctime_string(u.current_time.sec);
      (void)client::duration_dhms(
          client::seconds_between(u.current_time.sec, u.ctdbd_start_time.sec));
      return;
    }
    case 3: {
      Statistics s;
      data_control(d, CONTROL_STATISTICS, status, data, [&] {
        int ret = client::ctrl_statistics(c, me, never, &s);
        if (ret == 0) {
          FUZZ_CHECK(!client::statistics_text(s).empty());
          FUZZ_CHECK(!client::statistics_machine_text(s, ":", true).empty());
        }
        return ret;
      });
      return;
    }
    case 4: {
      ControlStatistics s;
      data_control(d, CONTROL_GET_CONTROL_STATISTICS, status, data, [&] {
        int ret = client::ctrl_get_control_statistics(c, me, never, &s);
        if (ret == 0) {
          FUZZ_CHECK(!client::control_statistics_text(s).empty());
          FUZZ_CHECK(!client::control_statistics_machine_text(s, "|").empty());
        }
        return ret;
      });
      return;
    }
    case 5:
    case 6: {
      NodeMap m;
      uint32_t opcode = op == 5 ? CONTROL_GET_NODEMAP : CONTROL_GET_NODES_FILE;
      data_control(d, opcode, status, data, [&] {
        int ret = op == 5 ? client::ctrl_get_nodemap(c, me, never, &m)
                          : client::ctrl_get_nodes_file(c, me, never, &m);
        if (ret == 0) {
          for (const auto& n : m.nodes) {
            FUZZ_CHECK(!client::node_flags_string(n.flags).empty());
            (void)n.addr.to_string();
          }
        }
        return ret;
      });
      return;
    }
    case 7: {
      VnnMap m;
      data_control(d, CONTROL_GETVNNMAP, status, data,
                   [&] { return client::ctrl_getvnnmap(c, me, never, &m); });
      return;
    }
    case 8: {
      VarList l;
      data_control(d, CONTROL_LIST_TUNABLES, status, data,
                   [&] { return client::ctrl_list_tunables(c, me, never, &l); });
      return;
    }
    case 9: {
      uint32_t v = 0;
      data_control(d, CONTROL_GET_TUNABLE, status, data,
                   [&] { return client::ctrl_get_tunable(c, me, never, "RecoverTimeout", &v); });
      return;
    }
    case 10: {
      DbIdMap m;
      data_control(d, CONTROL_GET_DBMAP, status, data,
                   [&] { return client::ctrl_get_dbmap(c, me, never, &m); });
      return;
    }
    case 11: {
      std::string s;
      data_control(d, CONTROL_GET_DBNAME, status, data,
                   [&] { return client::ctrl_get_dbname(c, me, never, kDbId, &s); });
      data_control(d, CONTROL_GETDBPATH, status, data,
                   [&] { return client::ctrl_getdbpath(c, me, never, kDbId, &s); });
      data_control(d, CONTROL_DB_GET_HEALTH, status, data,
                   [&] { return client::ctrl_db_get_health(c, me, never, kDbId, &s); });
      return;
    }
    case 12: {
      uint64_t seq = 0;
      data_control(d, CONTROL_GET_DB_SEQNUM, status, data,
                   [&] { return client::ctrl_get_db_seqnum(c, me, never, kDbId, &seq); });
      return;
    }
    case 13: {
      uint32_t caps = 0;
      data_control(d, CONTROL_GET_CAPABILITIES, status, data,
                   [&] { return client::ctrl_get_capabilities(c, me, never, &caps); });
      return;
    }
    case 14: {
      int level = 0;
      data_control(d, CONTROL_GET_DEBUG, status, data, [&] {
        int ret = client::ctrl_getdebug(c, me, never, &level);
        if (ret == 0) FUZZ_CHECK(client::debug_level_name(level) != nullptr);
        return ret;
      });
      return;
    }
    case 15: {
      int32_t flags = 0;
      data_control(d, CONTROL_DB_OPEN_FLAGS, status, data,
                   [&] { return client::ctrl_db_open_flags(c, me, never, kDbId, &flags); });
      return;
    }
    case 16: {
      PublicIpList l;
      data_control(d, CONTROL_GET_PUBLIC_IPS, status, data,
                   [&] { return client::ctrl_get_public_ips(c, me, never, 0, &l); });
      return;
    }
    case 17: {
      PublicIpInfo info;
      data_control(d, CONTROL_GET_PUBLIC_IP_INFO, status, data, [&] {
        return client::ctrl_get_public_ip_info(c, me, never, *SockAddr::parse("10.0.0.1"), &info);
      });
      return;
    }
    case 18: {
      IfaceList l;
      data_control(d, CONTROL_GET_IFACES, status, data,
                   [&] { return client::ctrl_get_ifaces(c, me, never, &l); });
      return;
    }
    case 19: {
      std::string reclock;
      bool has = false;
      data_control(d, CONTROL_GET_RECLOCK_FILE, status, data, [&] {
        int ret = client::ctrl_get_reclock_file(c, me, never, &reclock, &has);
        if (ret == 0) FUZZ_CHECK(has == !data.empty());
        return ret;
      });
      return;
    }
    case 20: {
      DbStatistics s;
      data_control(d, CONTROL_GET_DB_STATISTICS, status, data,
                   [&] { return client::ctrl_get_db_statistics(c, me, never, kDbId, &s); });
      return;
    }
    case 21: {
      ScriptList l;
      bool never_run = false;
      data_control(d, CONTROL_GET_EVENT_SCRIPT_STATUS, status, data, [&] {
        int ret = client::ctrl_get_event_script_status(c, me, never, EVENT_MONITOR, &l, &never_run);
        if (ret == 0) FUZZ_CHECK(never_run == data.empty());
        return ret;
      });
      return;
    }
    default: {
      // Controls with no answer but the status.
      send_reply(d.fd, next_reqid(d), status, data);
      ControlReply reply;
      int ret = client::ctrl_simple(c, me, never, CONTROL_STATISTICS_RESET, {}, &reply);
      FUZZ_CHECK(ret == status && reply.status == status && reply.data == data);
      FUZZ_CHECK(status == 0 || reply.errmsg == "fuzz");
      return;
    }
  }
}

void fuzz_one(const uint8_t* data, size_t size) {
  // Everything the input asks for is written to the socket before it is read: keep it well
  // within the socket's buffer.
  if (size > 32768) return;
  FakeDaemon& d = daemon();
  Input in(data, size);
  for (int i = 0; i < 8 && in.remaining() > 0; i++) {
    run_op(d, in);
    drain(d);
  }
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ctdb::fuzz::quiet_stdio_stderr();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
