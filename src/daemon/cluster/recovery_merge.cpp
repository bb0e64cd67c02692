// Recovery merge of pulled database copies and the push buffers built from
// it (see recovery_merge.h). Pure: no I/O.
#include "daemon/cluster/recovery_merge.h"

#include <algorithm>
#include <cstring>

#include "ctdb/protocol.h"
#include "protocol/wire.h"

namespace ctdb::daemon::cluster {

namespace {
// Offsets inside the 24-byte ltdb header (rsn u64, dmaster, reserved1, flags, pad).
constexpr size_t kDmasterOffset = 8;
constexpr size_t kFlagsOffset = 16;
constexpr size_t kRecBufferFixed = 8;  // db_id, count
constexpr size_t kRecDataFixed = 16;   // length, reqid, keylen, datalen

// Whether a pulled copy `incoming` replaces the `stored` one.
bool replaces(const proto::LtdbHeader& incoming, const proto::LtdbHeader& stored,
              uint32_t recmaster_pnn) {
  if (incoming.rsn != stored.rsn) return incoming.rsn > stored.rsn;
  return stored.dmaster == recmaster_pnn;
}

proto::LtdbHeader header_of(const uint8_t* data) {
  proto::LtdbHeader h;
  proto::Reader r(data, proto::kLtdbHeaderSize);
  proto::decode(r, &h);  // callers checked the length
  return h;
}

// FNV-1a, 64 bits: keys are short (smbd's are 16-60 bytes) and this is cheap.
uint64_t key_hash(const uint8_t* p, size_t n) {
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

// One record of a RecBuffer in place: its key and data.
struct RecView {
  const uint8_t* key;
  const uint8_t* data;
  uint32_t key_len;
  uint32_t data_len;
};

// Steps through a buffer's records; false (and nothing after it) on a malformed one: a length
// field that does not describe the record exactly, a record running past the end, data shorter
// than an ltdb header, or bytes left over.
template <typename Fn>
bool for_each_record(const proto::Bytes& buf, uint32_t count, Fn&& fn) {
  proto::Reader r(buf);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t len, reqid, key_len, data_len;
    RecView v{};
    if (!r.u32(&len) || !r.u32(&reqid) || !r.u32(&key_len) || !r.u32(&data_len) ||
        uint64_t{len} != kRecDataFixed + uint64_t{key_len} + data_len ||
        data_len < proto::kLtdbHeaderSize || !r.view(key_len, &v.key) ||
        !r.view(data_len, &v.data)) {
      return false;
    }
    v.key_len = key_len;
    v.data_len = data_len;
    fn(v);
  }
  return r.remaining() == 0;
}
}  // namespace

RecoveryDb::AddResult RecoveryDb::add(proto::RecBuffer pulled, uint32_t holder) {
  if (pulled.db_id != db_id_) return AddResult::kWrongDb;
  // Check everything before touching the records, so that a bad buffer leaves the merge as it
  // was.
  if (!for_each_record(pulled.buf, pulled.count, [](const RecView&) {})) {
    return AddResult::kMalformed;
  }
  // Moving a vector keeps its bytes where they are, so the records can be referred to in place.
  buffers_.push_back(std::move(pulled.buf));
  bool leftovers_stale = holder != UNKNOWN_PNN && leftover_holders_.count(holder) != 0;
  for_each_record(buffers_.back(), pulled.count, [&](const RecView& v) {
    proto::LtdbHeader header = header_of(v.data);
    if (leftovers_stale && header.dmaster != holder) return;
    uint64_t hash = key_hash(v.key, v.key_len);
    int64_t at = lookup(v.key, v.key_len, hash);
    if (at < 0) {
      records_.push_back({v.key, v.data, v.key_len, v.data_len, hash});
      insert_index(static_cast<uint32_t>(records_.size() - 1));
      return;
    }
    Record& stored = records_[static_cast<size_t>(at)];
    if (replaces(header, header_of(stored.data), recmaster_pnn_)) {
      stored.key = v.key;
      stored.data = v.data;
      stored.data_len = v.data_len;
    }
  });
  return AddResult::kOk;
}

int64_t RecoveryDb::lookup(const uint8_t* key, uint32_t len, uint64_t hash) const {
  if (index_.empty()) return -1;
  size_t mask = index_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint32_t slot = index_[i];
    if (slot == 0) return -1;
    const Record& r = records_[slot - 1];
    if (r.hash == hash && r.key_len == len && std::memcmp(r.key, key, len) == 0) return slot - 1;
  }
}

void RecoveryDb::insert_index(uint32_t record) {
  // At most half full, so that probe runs stay short.
  if ((records_.size()) * 2 > index_.size()) grow_index();
  size_t mask = index_.size() - 1;
  size_t i = records_[record].hash & mask;
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = record + 1;
}

void RecoveryDb::grow_index() {
  index_.assign(std::max<size_t>(1024, index_.size() * 2), 0);
  size_t mask = index_.size() - 1;
  // Every record but the one being inserted (the last); insert_index places that one.
  for (size_t r = 0; r + 1 < records_.size(); r++) {
    size_t i = records_[r].hash & mask;
    while (index_[i] != 0) i = (i + 1) & mask;
    index_[i] = static_cast<uint32_t>(r + 1);
  }
}

std::optional<RecoveryDb::Entry> RecoveryDb::find(const proto::Bytes& key) const {
  int64_t at =
      lookup(key.data(), static_cast<uint32_t>(key.size()), key_hash(key.data(), key.size()));
  if (at < 0) return std::nullopt;
  const Record& r = records_[static_cast<size_t>(at)];
  return Entry{header_of(r.data), Span{r.data, r.data_len}};
}

std::vector<proto::RecBuffer> RecoveryDb::push_buffers(bool persistent, size_t max_size) const {
  std::vector<proto::RecBuffer> out;
  proto::RecBuffer current;
  current.db_id = db_id_;
  for (const Record& r : records_) {
    // Header only: the record was deleted; nodes drop what they do not get.
    if (r.data_len <= proto::kLtdbHeaderSize) continue;
    if (current.buf.empty()) current.buf.reserve(std::min<size_t>(max_size + 4096, 4 << 20));
    proto::Writer w(&current.buf);
    w.u32(static_cast<uint32_t>(kRecDataFixed + r.key_len + r.data_len));
    w.u32(0);  // reqid
    w.u32(r.key_len);
    w.u32(r.data_len);
    w.bytes(r.key, r.key_len);
    size_t header_at = current.buf.size();
    w.bytes(r.data, r.data_len);
    current.count++;
    if (!persistent) {
      // After the recovery every node holds the record with the recovery master as dmaster;
      // the flag marks it as migrated with data, which tells the store and vacuum code on the
      // nodes that it must be kept.
      uint32_t flags = header_of(r.data).flags | REC_FLAG_MIGRATED_WITH_DATA;
      w.patch_u32(header_at + kDmasterOffset, recmaster_pnn_);
      w.patch_u32(header_at + kFlagsOffset, flags);
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
