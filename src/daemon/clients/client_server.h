// The Unix domain socket that local clients (the ctdb tool, smbd) connect to:
// accepting, framing packets by their length field, and queued writes with a
// limit on what a client may leave unread.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/event_loop.h"
#include "protocol/wire.h"

namespace ctdb::daemon {

class ClientConnection;
class ClientServer;

// Receives what clients send. Callbacks run on the reactor.
class ClientHandler {
 public:
  virtual ~ClientHandler() = default;
  // A complete packet whose header passed decode_header(). `pkt` is valid only
  // during the call.
  virtual void on_client_packet(ClientConnection& client, const uint8_t* pkt, size_t len) = 0;
  // The client is going away (closed by either side); its id is still valid.
  virtual void on_client_gone(ClientConnection& client) = 0;
  // The client has read its replies down to ClientServer::kDrainMark: a long answer held back
  // for it (a traverse's records) may go on.
  virtual void on_client_drained(ClientConnection&) {}
};

class ClientConnection final : private PacketStream::Handler {
 public:
  ClientConnection(ClientServer* server, uint32_t id, pid_t pid)
      : server_(server), id_(id), pid_(pid) {}
  ~ClientConnection() override = default;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  uint32_t id() const { return id_; }
  pid_t pid() const { return pid_; }
  // Sends a whole packet: written at once when nothing is queued, the rest
  // queued; never blocks.
  void send(const uint8_t* pkt, size_t len);
  void send(const proto::Bytes& pkt) { send(pkt.data(), pkt.size()); }
  bool closing() const { return closing_; }
  // Bytes of replies written to the connection but not yet read by the client.
  size_t queued() const { return stream_ ? stream_->queued() : 0; }

 private:
  friend class ClientServer;
  bool on_packet(const uint8_t* pkt, size_t len) override;
  void on_stream_error(const char* why, bool misbehaved) override;
  void on_drained() override;

  ClientServer* server_;
  uint32_t id_;
  pid_t pid_;
  PacketStream::Ptr stream_;
  bool closing_ = false;
  bool in_read_ = false;
};

class ClientServer {
 public:
  // Unread replies a client may leave behind before it is cut off: far more
  // than a client that reads its answers ever has outstanding (a control reply
  // is a few KiB at most, and the kernel's socket buffer takes the first
  // ~200 KiB), yet it keeps a client that never reads from holding more than
  // this of the daemon's memory. A single reply of any legal size (up to
  // max_packet) still goes out whole.
  static constexpr size_t kDefaultMaxBacklog = 16 * 1024 * 1024;
  // A client that has read its backlog down to this is told about (on_client_drained).
  static constexpr size_t kDrainMark = 256 * 1024;

  // Packets larger than max_packet close the connection that sent them; a
  // client with max_backlog bytes of replies unread is closed at the next one.
  ClientServer(EventLoop& loop, ClientHandler& handler, size_t max_packet,
               size_t max_backlog = kDefaultMaxBacklog);
  ~ClientServer();
  ClientServer(const ClientServer&) = delete;
  ClientServer& operator=(const ClientServer&) = delete;

  // Creates the socket (owner-only permissions, as 4.17: mode 0700). Fails if
  // another daemon already answers on `path`; a stale socket file is replaced.
  // Also raises the soft descriptor limit to the hard one (see
  // raise_descriptor_limit).
  bool listen(const std::string& path, std::string* error);
  // Stops accepting and removes the socket file.
  void shutdown();

  // Writes what is queued for every client without waiting (at exit).
  void flush_all();

  size_t num_clients() const { return clients_.size(); }
  ClientConnection* find(uint32_t id);
  // Every connected client whose peer process is `pid`.
  std::vector<ClientConnection*> find_by_pid(pid_t pid) const;
  // Closes a client; safe to call from within its own packet callback.
  void close(ClientConnection& client);
  // Connections closed unserved because the descriptor table was full.
  uint64_t refused_for_lack_of_descriptors() const;
  // Connections closed unserved because they would have taken one of the
  // descriptors kept for the daemon itself (see reserved_descriptors).
  uint64_t refused_over_reserve() const { return refused_over_reserve_; }

  // Descriptors clients may not take out of a table of `limit`: what the
  // daemon needs for itself (database files, links to the other nodes, pipes
  // of event scripts, traverse and vacuum children, the recovery lock). When
  // clients took the last of them, 4.17 fails its own work instead (an event
  // script that cannot start fails the recovery, and the node bans itself).
  static uint64_t reserved_descriptors(uint64_t limit);

  // Raises this process's soft RLIMIT_NOFILE to its hard limit, so that a
  // daemon started with the usual soft limit of 1024 can still hold one
  // connection per smbd process (4.17 relies on its systemd unit's
  // LimitNOFILE=1048576 for this). Returns the soft limit in force.
  static uint64_t raise_descriptor_limit();

 private:
  friend class ClientConnection;
  void on_accept(int fd);
  bool dispatch(ClientConnection& c, const uint8_t* pkt, size_t len);
  void destroy(ClientConnection& c);

  EventLoop& loop_;
  ClientHandler& handler_;
  size_t max_packet_;
  size_t max_backlog_;
  uint64_t refused_over_reserve_ = 0;
  LogThrottle reserve_log_;
  std::unique_ptr<Listener> listener_;
  std::string path_;
  uint32_t next_id_ = 1;
  std::map<uint32_t, std::unique_ptr<ClientConnection>> clients_;
};

}  // namespace ctdb::daemon
