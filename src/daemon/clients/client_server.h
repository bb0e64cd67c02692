// The Unix domain socket that local clients (the ctdb tool, smbd) connect to:
// accepting, framing packets by their length field, and queued writes.
#pragma once

#include <event2/listener.h>
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

 private:
  friend class ClientServer;
  bool on_packet(const uint8_t* pkt, size_t len) override;
  void on_stream_error(const char* why, bool framing) override;

  ClientServer* server_;
  uint32_t id_;
  pid_t pid_;
  PacketStream::Ptr stream_;
  bool closing_ = false;
  bool in_read_ = false;
};

class ClientServer {
 public:
  // Packets larger than max_packet close the connection that sent them.
  ClientServer(EventLoop& loop, ClientHandler& handler, size_t max_packet);
  ~ClientServer();
  ClientServer(const ClientServer&) = delete;
  ClientServer& operator=(const ClientServer&) = delete;

  // Creates the socket (owner-only permissions). Fails if another daemon
  // already answers on `path`; a stale socket file is replaced.
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

 private:
  friend class ClientConnection;
  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg);
  bool dispatch(ClientConnection& c, const uint8_t* pkt, size_t len);
  void destroy(ClientConnection& c);

  EventLoop& loop_;
  ClientHandler& handler_;
  size_t max_packet_;
  evconnlistener* listener_ = nullptr;
  std::string path_;
  uint32_t next_id_ = 1;
  std::map<uint32_t, std::unique_ptr<ClientConnection>> clients_;
};

}  // namespace ctdb::daemon
