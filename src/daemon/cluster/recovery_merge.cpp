// Recovery merge of pulled database copies and the push buffers built from
// it (see recovery_merge.h). Pure: no I/O.
#include "daemon/cluster/recovery_merge.h"

#include <cstring>

#include "ctdb/protocol.h"
#include "protocol/wire.h"

namespace ctdb::daemon::cluster {

namespace {
// Offsets inside the 24-byte ltdb header (rsn u64, dmaster, reserved1, flags, pad).
constexpr size_t kDmasterOffset = 8;
constexpr size_t kFlagsOffset = 16;
constexpr size_t kRecBufferFixed = 8;  // db_id, count

// Whether a pulled copy `incoming` replaces the `stored` one.
bool replaces(const proto::LtdbHeader& incoming, const proto::LtdbHeader& stored,
              uint32_t recmaster_pnn) {
  if (incoming.rsn != stored.rsn) return incoming.rsn > stored.rsn;
  return stored.dmaster == recmaster_pnn;
}
}  // namespace

RecoveryDb::AddResult RecoveryDb::add(const proto::RecBuffer& pulled, uint32_t holder) {
  if (pulled.db_id != db_id_) return AddResult::kWrongDb;
  // Decode and check everything before touching records_, so that a bad
  // buffer leaves the merge as it was.
  std::vector<std::pair<proto::RecData, proto::LtdbHeader>> batch;
  bool bad_record = false;
  bool ok = pulled.for_each([&](const proto::RecData& rec) {
    proto::LtdbHeader header;
    proto::Reader r(rec.data);
    if (!proto::decode(r, &header)) {
      bad_record = true;
      return false;
    }
    batch.emplace_back(rec, header);
    return true;
  });
  if (!ok || bad_record) return AddResult::kMalformed;

  bool leftovers_stale = holder != UNKNOWN_PNN && leftover_holders_.count(holder) != 0;
  for (auto& [rec, header] : batch) {
    if (leftovers_stale && header.dmaster != holder) continue;
    auto it = records_.find(rec.key);
    if (it == records_.end()) {
      records_.emplace(std::move(rec.key), Entry{header, std::move(rec.data)});
    } else if (replaces(header, it->second.header, recmaster_pnn_)) {
      it->second = Entry{header, std::move(rec.data)};
    }
  }
  return AddResult::kOk;
}

const RecoveryDb::Entry* RecoveryDb::find(const proto::Bytes& key) const {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<proto::RecBuffer> RecoveryDb::push_buffers(bool persistent, size_t max_size) const {
  std::vector<proto::RecBuffer> out;
  proto::RecBuffer current;
  current.db_id = db_id_;
  for (const auto& [key, entry] : records_) {
    // Header only: the record was deleted; nodes drop what they do not get.
    if (entry.data.size() <= proto::kLtdbHeaderSize) continue;
    if (persistent) {
      current.add(0, nullptr, key, entry.data);
    } else {
      // After the recovery every node holds the record with the recovery
      // master as dmaster; the flag marks it as migrated with data, which
      // tells the store and vacuum code on the nodes that it must be kept.
      proto::Bytes data = entry.data;
      proto::Writer w(&data);
      w.patch_u32(kDmasterOffset, recmaster_pnn_);
      w.patch_u32(kFlagsOffset, entry.header.flags | REC_FLAG_MIGRATED_WITH_DATA);
      current.add(0, nullptr, key, data);
    }
    if (kRecBufferFixed + current.buf.size() > max_size) {
      out.push_back(std::move(current));
      current = proto::RecBuffer{};
      current.db_id = db_id_;
    }
  }
  out.push_back(std::move(current));
  return out;
}

std::optional<uint32_t> pick_highest_seqnum_node(const std::vector<NodeSeqnum>& nodes) {
  if (nodes.empty()) return std::nullopt;
  uint32_t best_pnn = nodes.front().pnn;
  uint64_t best = 0;
  for (const auto& n : nodes) {
    if (n.seqnum > best) {
      best = n.seqnum;
      best_pnn = n.pnn;
    }
  }
  return best_pnn;
}

proto::Bytes db_seqnum_key() {
  const char* k = DB_SEQNUM_KEY;
  return proto::Bytes(k, k + std::strlen(k) + 1);
}

uint64_t seqnum_from_value(const proto::Bytes& value) {
  if (value.size() != sizeof(uint64_t)) return 0;
  proto::Reader r(value);
  uint64_t v = 0;
  return r.u64(&v) ? v : 0;
}

}  // namespace ctdb::daemon::cluster
