// How the daemon reads and writes one record of an attached database, with
// 4.17's rules: initial headers for missing records, RSN bumps by the
// dmaster, empty records deleted when they migrate away, and the built-in
// call functions (NULL, FETCH, FETCH_WITH_HEADER). The caller holds the chain lock.
#pragma once

#include <cstdint>

#include "daemon/db/db_registry.h"

namespace ctdb::daemon {

// Where a record lives, as this node sees it.
struct RecordPlace {
  uint32_t pnn;      // this node
  uint32_t lmaster;  // the key's lmaster in the current vnnmap
};

// Reads a record. A missing (or headerless) record gets the initial header
// (dmaster = lmaster, flags AUTOMATIC), which is stored right away when this
// node is its lmaster or the database is persistent. False on a tdb error.
bool fetch_record(Database& db, const Bytes& key, const RecordPlace& at, LtdbHeader* header,
                  Bytes* data, std::string* error);

// Writes a record as 4.17's daemon does. Persistent and replicated records are
// written as given. A volatile record is kept when it has data,
// read-only or AUTOMATIC/MIGRATED_WITH_DATA flags, or this node is its
// lmaster or dmaster, and deletes it otherwise (an empty record migrating
// away). A kept volatile record this node masters gets RSN + 1, written back
// into *header; AUTOMATIC and VACUUM_MIGRATED never reach the file.
bool store_record(Database& db, const Bytes& key, LtdbHeader* header, const Bytes& data,
                  const RecordPlace& at, std::string* error);

// Runs a call function on a record this node is dmaster of and writes the
// record back (one more RSN). Fills reply->data; false (with *error) for an
// unknown call id or a failed store.
bool call_local(Database& db, uint32_t callid, const Bytes& key, LtdbHeader* header,
                const Bytes& data, const RecordPlace& at, proto::ReplyCall* reply,
                std::string* error);

}  // namespace ctdb::daemon
