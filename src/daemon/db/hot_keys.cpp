#include "daemon/db/hot_keys.h"

#include <algorithm>

#include "common/logging.h"

namespace ctdb::daemon {
namespace {

// A key's count covers the migrations since its window opened; a migration
// after the window's end opens a new one (4.17's one-second hash count).
constexpr double kWindow = 1.0;
// How often windows that ended are forgotten.
constexpr double kExpireInterval = 10.0;

std::string hex(const proto::Bytes& key) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : key) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

}  // namespace

void HotKeys::migrated(const proto::Bytes& key, double now, const std::string& db_name) {
  migrations_++;
  expire(now);
  Window& w = windows_[key];
  if (w.count == 0 || now >= w.start + kWindow) {
    w.start = now;
    w.count = 1;
  } else {
    w.count++;
  }
  update_table(key, w.count, db_name);
}

void HotKeys::update_table(const proto::Bytes& key, uint32_t count, const std::string& db_name) {
  // A full table only takes a count above its smallest.
  if (table_.size() == MAX_HOT_KEYS && count <= table_.front().count) return;
  auto it = std::find_if(table_.begin(), table_.end(), [&](const Slot& s) { return s.key == key; });
  if (it != table_.end()) {
    if (count <= it->count) return;
    if (count >= 2 * it->last_logged) {
      CTDB_LOGF(kLogNotice, "Updated hot key database=%s key=%s count=%u", db_name.c_str(),
                hex(key).c_str(), count);
      it->last_logged = count;
    }
    it->count = count;
  } else {
    if (table_.size() == MAX_HOT_KEYS) table_.erase(table_.begin());
    table_.push_back(Slot{key, count, count});
    CTDB_LOGF(kLogNotice, "Added hot key database=%s key=%s count=%u", db_name.c_str(),
              hex(key).c_str(), count);
  }
  std::stable_sort(table_.begin(), table_.end(),
                   [](const Slot& a, const Slot& b) { return a.count < b.count; });
}

void HotKeys::expire(double now) {
  if (now < last_expire_ + kExpireInterval) return;
  last_expire_ = now;
  for (auto it = windows_.begin(); it != windows_.end();) {
    it = now >= it->second.start + kWindow ? windows_.erase(it) : std::next(it);
  }
}

void HotKeys::fill(proto::DbStatistics* s) const {
  s->num_hot_keys = MAX_HOT_KEYS;
  for (size_t i = 0; i < MAX_HOT_KEYS; i++) {
    s->hot_keys[i] =
        i < table_.size() ? proto::HotKey{table_[i].count, table_[i].key} : proto::HotKey{};
  }
}

}  // namespace ctdb::daemon
