// Which local clients listen on which message srvids (REGISTER_SRVID), and
// delivery of REQ_MESSAGE packets to them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>

namespace ctdb::daemon {

class SrvidRegistry {
 public:
  void add(uint64_t srvid, uint32_t client_id);
  // Returns false if the client had not registered `srvid`.
  bool remove(uint64_t srvid, uint32_t client_id);
  void remove_client(uint32_t client_id);
  bool exists(uint64_t srvid) const;
  // How many (srvid, client) registrations there are.
  size_t count() const;
  bool registered(uint64_t srvid, uint32_t client_id) const;
  // Calls `fn` for each client registered on `srvid` or on SRVID_ALL.
  void for_each_listener(uint64_t srvid, const std::function<void(uint32_t)>& fn) const;

 private:
  std::map<uint64_t, std::set<uint32_t>> by_srvid_;
  std::map<uint32_t, std::set<uint64_t>> by_client_;
};

}  // namespace ctdb::daemon
