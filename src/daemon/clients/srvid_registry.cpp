// Message srvid registrations of local clients (see srvid_registry.h).
#include "daemon/clients/srvid_registry.h"

#include "ctdb/protocol.h"

namespace ctdb::daemon {

void SrvidRegistry::add(uint64_t srvid, uint32_t client_id) {
  by_srvid_[srvid].insert(client_id);
  by_client_[client_id].insert(srvid);
}

bool SrvidRegistry::remove(uint64_t srvid, uint32_t client_id) {
  auto it = by_srvid_.find(srvid);
  if (it == by_srvid_.end() || it->second.erase(client_id) == 0) return false;
  if (it->second.empty()) by_srvid_.erase(it);
  auto ct = by_client_.find(client_id);
  if (ct != by_client_.end()) {
    ct->second.erase(srvid);
    if (ct->second.empty()) by_client_.erase(ct);
  }
  return true;
}

void SrvidRegistry::remove_client(uint32_t client_id) {
  auto ct = by_client_.find(client_id);
  if (ct == by_client_.end()) return;
  for (uint64_t srvid : ct->second) {
    auto it = by_srvid_.find(srvid);
    if (it == by_srvid_.end()) continue;
    it->second.erase(client_id);
    if (it->second.empty()) by_srvid_.erase(it);
  }
  by_client_.erase(ct);
}

bool SrvidRegistry::exists(uint64_t srvid) const { return by_srvid_.count(srvid) != 0; }

bool SrvidRegistry::registered(uint64_t srvid, uint32_t client_id) const {
  auto it = by_srvid_.find(srvid);
  return it != by_srvid_.end() && it->second.count(client_id) != 0;
}

void SrvidRegistry::for_each_listener(uint64_t srvid,
                                      const std::function<void(uint32_t)>& fn) const {
  if (auto it = by_srvid_.find(srvid); it != by_srvid_.end()) {
    for (uint32_t id : it->second) fn(id);
  }
  if (srvid == SRVID_ALL) return;
  if (auto it = by_srvid_.find(SRVID_ALL); it != by_srvid_.end()) {
    for (uint32_t id : it->second) fn(id);
  }
}

size_t SrvidRegistry::count() const {
  size_t n = 0;
  for (const auto& [srvid, clients] : by_srvid_) n += clients.size();
  return n;
}

}  // namespace ctdb::daemon
