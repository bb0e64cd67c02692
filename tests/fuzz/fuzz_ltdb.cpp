// libFuzzer target: records as CTDB keeps them in a tdb (common/ltdb.h): values of any length
// stored raw (a record written by another process, or damaged) and read back through the ltdb
// header handling (fetch, traverse), plus the key hashing that picks a record's lmaster.
//
// Input: records, each u8 key length, the key, u16 value length, the value; then the rest is a
// vnnmap (u32 entries).
#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "common/ltdb.h"
#include "fuzz_common.h"

namespace ctdb::fuzz {
namespace {

Ltdb& db() {
  static Ltdb* d = [] {
    Ltdb::OpenOptions o;
    o.tdb_flags = TDB_INTERNAL;  // in memory: nothing on disk
    o.hash_size = 31;
    std::string error;
    auto p = Ltdb::open("fuzz_ltdb", o, &error);
    FUZZ_CHECK(p != nullptr);
    return p.release();
  }();
  return *d;
}

void fuzz_one(const uint8_t* data, size_t size) {
  Input in(data, size);
  std::map<Bytes, Bytes> stored;
  for (int i = 0; i < 16 && in.remaining() > 0; i++) {
    Bytes key = in.bytes(in.u8());
    uint16_t vlen = static_cast<uint16_t>(in.u8() | in.u8() << 8);
    Bytes value = in.bytes(vlen);
    if (key.empty()) continue;  // tdb keys are never empty
    FUZZ_CHECK(db().store_raw(key, value));
    stored[key] = value;
  }
  proto::VnnMap vnnmap;
  while (in.remaining() >= 4 && vnnmap.map.size() < 64) vnnmap.map.push_back(in.u32());

  size_t with_header = 0;
  for (const auto& [key, value] : stored) {
    LtdbHeader h;
    Bytes v;
    LtdbStatus st = db().fetch(key, &h, &v);
    if (value.size() < kLtdbHeaderSize) {
      FUZZ_CHECK(st == LtdbStatus::kCorrupt);
      continue;
    }
    with_header++;
    FUZZ_CHECK(st == LtdbStatus::kOk);
    FUZZ_CHECK(v.size() == value.size() - kLtdbHeaderSize);
    FUZZ_CHECK(std::equal(v.begin(), v.end(), value.begin() + kLtdbHeaderSize));
    // The header's fields are where 4.17 puts them; its 4 padding bytes are not kept.
    Bytes again = proto::to_bytes(h);
    FUZZ_CHECK(std::memcmp(again.data(), value.data(), 20) == 0);
    Bytes raw;
    FUZZ_CHECK(db().fetch_raw(key, &raw) == LtdbStatus::kOk && raw == value);
    FUZZ_CHECK(db().exists(key));
    // Storing the header and data back gives a record that reads the same.
    FUZZ_CHECK(db().store(key, h, v));
    LtdbHeader h2;
    Bytes v2;
    FUZZ_CHECK(db().fetch(key, &h2, &v2) == LtdbStatus::kOk);
    FUZZ_CHECK(proto::to_bytes(h2) == again && v2 == v);
  }
  size_t visited_ok = 0;
  size_t skipped = 0;
  int visited = db().traverse(
      [&](const Bytes& key, const LtdbHeader&, const Bytes& v) {
        auto it = stored.find(key);
        FUZZ_CHECK(it != stored.end());
        FUZZ_CHECK(it->second.size() == v.size() + kLtdbHeaderSize);
        visited_ok++;
        return true;
      },
      true, &skipped);
  FUZZ_CHECK(visited >= 0 && static_cast<size_t>(visited) == visited_ok);
  FUZZ_CHECK(visited_ok == with_header && skipped == stored.size() - with_header);

  for (const auto& [key, value] : stored) {
    auto lm = lmaster_of(vnnmap, key);
    FUZZ_CHECK(lm.has_value() == !vnnmap.map.empty());
    if (lm) FUZZ_CHECK(*lm == vnnmap.map[ctdb_hash(key) % vnnmap.map.size()]);
    std::string name(key.begin(), key.end());
    if (name.find('\0') == std::string::npos) {
      Bytes with_nul = key;
      with_nul.push_back(0);
      FUZZ_CHECK(db_id_for_name(name) == ctdb_hash(with_nul));
    }
    FUZZ_CHECK(db().remove(key) == LtdbStatus::kOk);
  }
  FUZZ_CHECK(db().traverse([](const Bytes&, const LtdbHeader&, const Bytes&) { return true; }) ==
             0);
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
