// The recovery database of one CTDB database: merging the copies pulled from
// the nodes (highest RSN wins) and producing the records pushed back, as 4.17.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "ctdb/protocol.h"
#include "protocol/types.h"

namespace ctdb::daemon::cluster {

// Collects, per key, the newest copy of a record across the buffers pulled
// from every node during a recovery (4.17's "recdb"). Records are kept with
// their 24-byte ltdb header at the front of the data, as DB_PULL sends them.
//
// Merge rule (4.17 recdb_add): a pulled copy replaces the stored one when its
// RSN is higher, or when the RSNs are equal and the stored copy's dmaster is
// the recovery master itself (so on a tie the recovery master's own copy
// yields to the other node's; between two other nodes the first one stays).
// Empty copies (header only, i.e. deleted records) take part like any other:
// a newer deletion hides an older value, and is then not pushed.
class RecoveryDb {
 public:
  // recmaster_pnn: the pnn of the node running the recovery.
  RecoveryDb(uint32_t db_id, uint32_t recmaster_pnn)
      : db_id_(db_id), recmaster_pnn_(recmaster_pnn) {}

  RecoveryDb(const RecoveryDb&) = delete;
  RecoveryDb& operator=(const RecoveryDb&) = delete;

  enum class AddResult {
    kOk,
    kWrongDb,    // the buffer is for another db_id; nothing merged
    kMalformed,  // a record's data is shorter than a header, or the buffer is
                 // inconsistent; nothing merged
  };
  // Merges one pulled buffer, all of it or (on error) none of it. `holder` is the node the
  // buffer was pulled from (UNKNOWN_PNN: not known). The merge keeps the buffer and refers to
  // its records in place: a recovery of a million records copies each record once on the way
  // in and once into the push buffers, and allocates per buffer, not per record.
  AddResult add(proto::RecBuffer pulled, uint32_t holder = UNKNOWN_PNN);

  // Nodes that took no part in the cluster's last recovery (cut off by a partition, stopped or
  // banned): of their copies only those they are dmaster of count. The others are what a node
  // keeps of a record it handed on; the cluster has since moved on without it (changed the
  // record, or deleted and vacuumed it away), so they must not bring it back. 4.17 merges them
  // like any other copy.
  void drop_leftovers_from(std::set<uint32_t> holders) { leftover_holders_ = std::move(holders); }

  // Bytes inside a pulled buffer that the merge holds.
  struct Span {
    const uint8_t* ptr = nullptr;
    size_t len = 0;
    const uint8_t* begin() const { return ptr; }
    const uint8_t* end() const { return ptr + len; }
    size_t size() const { return len; }
  };
  // One stored record: the header and the full data (header included).
  struct Entry {
    proto::LtdbHeader header;
    Span data;
  };
  // The stored copy of `key` (valid while this RecoveryDb lives), or nullopt.
  std::optional<Entry> find(const proto::Bytes& key) const;
  // Keys held, empty records included.
  size_t size() const { return records_.size(); }
  uint32_t db_id() const { return db_id_; }

  // The records to push to every node (4.17 recbuf_filter_add): empty records
  // are left out; for volatile databases (persistent == false, which includes
  // neither persistent nor replicated ones) each header gets dmaster = the
  // recovery master and the MIGRATED_WITH_DATA flag, other flags kept (the
  // receiving node strips the read-only delegation flags itself). Persistent
  // and replicated records go out unchanged. Records have reqid 0.
  // A buffer is closed once its marshalled size (db_id and count included)
  // exceeds max_size (4.17 RecBufferSizeLimit); the last buffer is always
  // returned, so the result is never empty (possibly one empty buffer).
  std::vector<proto::RecBuffer> push_buffers(bool persistent, size_t max_size) const;

 private:
  // A key's current copy: its key and data inside one of the kept buffers.
  struct Record {
    const uint8_t* key;
    const uint8_t* data;
    uint32_t key_len;
    uint32_t data_len;
    uint64_t hash;
  };
  // The index of key's record in records_, or -1.
  int64_t lookup(const uint8_t* key, uint32_t len, uint64_t hash) const;
  void insert_index(uint32_t record);
  void grow_index();

  uint32_t db_id_;
  uint32_t recmaster_pnn_;
  std::vector<proto::Bytes> buffers_;  // every pulled buffer that holds a current copy
  std::vector<Record> records_;
  // Open addressing over records_ (index + 1; 0 = free), a power of two in size: a million
  // keys cost a probe or two each instead of a tree walk of twenty key comparisons.
  std::vector<uint32_t> index_;
  std::set<uint32_t> leftover_holders_;
};

// Persistent and replicated databases are not merged record by record: the
// recovery takes the whole copy of the node with the highest
// __db_sequence_number__ (4.17 collects it from GET_DB_SEQNUM replies). 4.17
// always does so: the RecoverPDBBySeqNum tunable still exists but nothing
// reads it.
struct NodeSeqnum {
  uint32_t pnn = 0;
  uint64_t seqnum = 0;
};
// The node to pull from: the first in `nodes` (the recovery's node order)
// with the strictly highest seqnum; the first node when all are 0; nullopt
// when `nodes` is empty.
std::optional<uint32_t> pick_highest_seqnum_node(const std::vector<NodeSeqnum>& nodes);

// The key of the sequence number record: "__db_sequence_number__" with its
// terminating NUL, as 4.17 stores it.
proto::Bytes db_seqnum_key();
// The sequence number a record value (header stripped) holds, as
// GET_DB_SEQNUM reads it: a little-endian u64 when the value is exactly 8
// bytes, otherwise (missing, empty or odd size) 0.
uint64_t seqnum_from_value(const proto::Bytes& value);

}  // namespace ctdb::daemon::cluster
