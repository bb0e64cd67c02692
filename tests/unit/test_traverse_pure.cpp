// The pure parts of the cluster-wide traverse (daemon/db/traverse.h): which records a node
// returns, the rec_data framing of the child's pipe, and which nodes take part.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/db/traverse.h"
#include "protocol/types.h"

namespace ctdb::daemon::traverse {
namespace {

proto::Bytes raw_record(uint32_t dmaster, const std::string& value) {
  proto::LtdbHeader h;
  h.rsn = 7;
  h.dmaster = dmaster;
  proto::Bytes out = proto::to_bytes(h);
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

TEST(TraversePure, WantsRecord) {
  struct Case {
    const char* what;
    bool volatile_db;
    bool with_empty;
    uint32_t pnn;
    proto::Bytes data;
    bool want;
  };
  const Case cases[] = {
      {"volatile, dmaster here", true, false, 1, raw_record(1, "v"), true},
      {"volatile, dmaster elsewhere", true, false, 1, raw_record(2, "v"), false},
      {"volatile, empty record", true, false, 1, raw_record(1, ""), false},
      {"volatile, empty record, with empty", true, true, 1, raw_record(1, ""), true},
      {"volatile, empty elsewhere, with empty", true, true, 1, raw_record(0, ""), false},
      {"volatile, shorter than a header", true, true, 1, proto::Bytes(10, 1), false},
      {"persistent, dmaster elsewhere", false, false, 1, raw_record(2, "v"), true},
      {"persistent, empty record", false, false, 1, raw_record(2, ""), true},
      {"persistent, no header at all", false, false, 1, proto::Bytes(3, 0), true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.want,
              wants_record(c.volatile_db, c.with_empty, c.pnn, c.data.data(), c.data.size()))
        << c.what;
  }
}

TEST(TraversePure, AppendRecDataIsTheRecDataLayout) {
  proto::Bytes key{'k', 'e', 'y'};
  proto::Bytes data = raw_record(2, "value");
  proto::Bytes out;
  append_rec_data(&out, 0x11223344, key.data(), key.size(), data.data(), data.size());
  // Same bytes as the protocol library's encoder: length, reqid, keylen, datalen, key, data.
  proto::RecData rec;
  rec.reqid = 0x11223344;
  rec.key = key;
  rec.data = data;
  EXPECT_EQ(proto::to_bytes(rec), out);
  ASSERT_EQ(out.size(), 16 + key.size() + data.size());
  EXPECT_EQ(out[0], out.size());
  EXPECT_EQ(out[4], 0x44);

  proto::Bytes end;
  append_rec_data(&end, 9, nullptr, 0, nullptr, 0);
  EXPECT_EQ((proto::Bytes{16, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), end);
  proto::RecData decoded;
  ASSERT_TRUE(proto::from_bytes(end, &decoded));
  EXPECT_TRUE(is_end_marker(decoded));
}

TEST(TraversePure, StreamCutsRecordsAcrossChunks) {
  proto::Bytes all;
  for (int i = 0; i < 50; i++) {
    std::string k = "key" + std::to_string(i);
    proto::Bytes v = raw_record(0, std::string(static_cast<size_t>(i) * 7, 'x'));
    append_rec_data(&all, 3, reinterpret_cast<const uint8_t*>(k.data()), k.size(), v.data(),
                    v.size());
  }
  append_rec_data(&all, 3, nullptr, 0, nullptr, 0);
  // Every chunk size, including one byte at a time, gives the same records.
  for (size_t chunk : {size_t{1}, size_t{5}, size_t{16}, size_t{17}, size_t{1000}, all.size()}) {
    RecDataStream s(1 << 20);
    proto::Bytes joined, rec;
    int count = 0;
    for (size_t off = 0; off < all.size(); off += chunk) {
      s.append(all.data() + off, std::min(chunk, all.size() - off));
      RecDataStream::Next n;
      while ((n = s.next(&rec)) == RecDataStream::Next::kRecord) {
        joined.insert(joined.end(), rec.begin(), rec.end());
        count++;
      }
      ASSERT_EQ(RecDataStream::Next::kNeedMore, n);
    }
    EXPECT_EQ(51, count) << "chunk " << chunk;
    EXPECT_EQ(all, joined) << "chunk " << chunk;
    EXPECT_EQ(0u, s.pending());
  }
}

TEST(TraversePure, StreamRefusesBadLengths) {
  {
    // length disagrees with keylen + datalen
    proto::Bytes b{20, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 'd'};
    RecDataStream s(1 << 20);
    s.append(b.data(), b.size());
    proto::Bytes rec;
    EXPECT_EQ(RecDataStream::Next::kBad, s.next(&rec));
  }
  {
    // larger than the limit: refused before it is buffered whole
    proto::Bytes b;
    proto::Writer w(&b);
    w.u32(16 + 4096);
    w.u32(1);
    w.u32(0);
    w.u32(4096);
    RecDataStream s(1024);
    s.append(b.data(), b.size());
    proto::Bytes rec;
    EXPECT_EQ(RecDataStream::Next::kBad, s.next(&rec));
  }
  {
    // huge lengths do not wrap around
    proto::Bytes b{0x10, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x11, 0, 0, 0};
    RecDataStream s(1 << 20);
    s.append(b.data(), b.size());
    proto::Bytes rec;
    EXPECT_EQ(RecDataStream::Next::kBad, s.next(&rec));
  }
}

TEST(TraversePure, Targets) {
  const uint32_t kOk = 0;
  std::vector<uint32_t> flags{kOk,
                              NODE_FLAGS_DISCONNECTED,
                              NODE_FLAGS_BANNED,
                              kOk,
                              NODE_FLAGS_STOPPED,
                              NODE_FLAGS_DELETED,
                              NODE_FLAGS_PERMANENTLY_DISABLED,
                              NODE_FLAGS_UNHEALTHY};
  // Volatile: every node without an INACTIVE flag; disabled and unhealthy nodes take part.
  EXPECT_EQ((std::vector<uint32_t>{0, 3, 6, 7}), targets(true, 3, flags, {0, 3}));
  EXPECT_EQ(4u, num_active_nodes(flags));
  // Persistent: this node if it is in the vnnmap, else the vnnmap's first node.
  EXPECT_EQ((std::vector<uint32_t>{3}), targets(false, 3, flags, {0, 3}));
  EXPECT_EQ((std::vector<uint32_t>{6}), targets(false, 3, flags, {6, 0}));
  EXPECT_EQ((std::vector<uint32_t>{3}), targets(false, 3, flags, {}));
}

}  // namespace
}  // namespace ctdb::daemon::traverse
