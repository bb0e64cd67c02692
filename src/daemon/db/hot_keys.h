// A database's hot keys, as `ctdb dbstatistics` shows them: how many times
// each record migrated to this node within a one-second window (4.17 counts
// a migration when this node becomes the record's dmaster for one of its own
// calls), and the MAX_HOT_KEYS keys with the highest such counts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "protocol/types.h"

namespace ctdb::daemon {

class HotKeys {
 public:
  // A record of database `db_name` migrated here at `now` (monotonic seconds).
  void migrated(const proto::Bytes& key, double now, const std::string& db_name);
  // The table for GET_DB_STATISTICS: lowest count first, empty slots last.
  void fill(proto::DbStatistics* s) const;
  // Every migration counted since the database was attached (metrics).
  uint64_t migrations() const { return migrations_; }

 private:
  struct Window {
    double start = 0;
    uint32_t count = 0;
  };
  struct Slot {
    proto::Bytes key;
    uint32_t count = 0;
    uint32_t last_logged = 0;  // a key is logged again once its count doubled
  };
  void update_table(const proto::Bytes& key, uint32_t count, const std::string& db_name);
  void expire(double now);

  std::map<proto::Bytes, Window> windows_;
  uint64_t migrations_ = 0;
  double last_expire_ = 0;
  std::vector<Slot> table_;  // at most MAX_HOT_KEYS, ascending count
};

}  // namespace ctdb::daemon
