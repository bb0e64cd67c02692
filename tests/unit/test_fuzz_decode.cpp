// Deterministic fuzzing of every decoder: random and mutated bytes fed to each payload
// kind, message kind and packet decoder must never crash or read out of bounds (ASan).
#include <gtest/gtest.h>

#include <random>

#include "protocol/control.h"
#include "protocol/message.h"
#include "protocol/packet.h"
#include "protocol/types.h"

namespace ctdb::proto {
namespace testing {
Bytes sample_payload(PayloadKind kind);
}  // namespace testing

namespace {

constexpr uint32_t kSeed = 0x43544442;
constexpr int kIterations = 3000;

// All payload kinds, walked through the enum's range.
std::vector<PayloadKind> all_kinds() {
  std::vector<PayloadKind> kinds;
  for (int k = static_cast<int>(PayloadKind::kNone);
       k <= static_cast<int>(PayloadKind::kControlStatistics); k++) {
    kinds.push_back(static_cast<PayloadKind>(k));
  }
  return kinds;
}

Bytes random_bytes(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  Bytes b(len(rng));
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Flips, overwrites, truncates or extends a valid encoding so that decoders see
// mostly-plausible input (counts and lengths that almost fit).
Bytes mutate(std::mt19937& rng, Bytes b) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; i++) {
    switch (rng() % 5) {
      case 0:
        if (!b.empty()) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        if (!b.empty()) b[rng() % b.size()] = static_cast<uint8_t>(rng());
        break;
      case 2:
        if (!b.empty()) b.resize(rng() % b.size());
        break;
      case 3:
        b.push_back(static_cast<uint8_t>(rng()));
        break;
      case 4:
        // Plant a large or off-by-one 32-bit count somewhere.
        if (b.size() >= 4) {
          size_t off = rng() % (b.size() - 3);
          uint32_t v = (rng() % 2) ? 0xffffffffu - (rng() % 4) : static_cast<uint32_t>(rng() % 64);
          for (int j = 0; j < 4; j++) b[off + j] = static_cast<uint8_t>(v >> (8 * j));
        }
        break;
    }
  }
  return b;
}

void decode_all_packets(const Bytes& b) {
  Header h;
  decode_header(b.data(), b.size(), &h);
  ReqCall a;
  decode(b.data(), b.size(), &h, &a);
  ReplyCall c;
  decode(b.data(), b.size(), &h, &c);
  ReplyError e;
  decode(b.data(), b.size(), &h, &e);
  ReqDmaster d;
  decode(b.data(), b.size(), &h, &d);
  ReplyDmaster rd;
  decode(b.data(), b.size(), &h, &rd);
  ReqMessage m;
  decode(b.data(), b.size(), &h, &m);
  ReqControl rc;
  if (decode(b.data(), b.size(), &h, &rc)) check_request_payload(rc.opcode, rc.data);
  ReplyControl rp;
  decode(b.data(), b.size(), &h, &rp);
  ReqKeepalive k;
  decode(b.data(), b.size(), &h, &k);
  ReqTunnel t;
  decode(b.data(), b.size(), &h, &t);
}

TEST(FuzzDecode, PayloadKindsSurviveRandomAndMutatedInput) {
  std::mt19937 rng(kSeed);
  auto kinds = all_kinds();
  std::vector<Bytes> samples;
  for (auto k : kinds) samples.push_back(testing::sample_payload(k));
  int accepted_mutants = 0;
  for (int i = 0; i < kIterations; i++) {
    Bytes noise = random_bytes(rng, 96);
    for (size_t k = 0; k < kinds.size(); k++) {
      check_payload(kinds[k], noise);
      Bytes m = mutate(rng, samples[k]);
      if (check_payload(kinds[k], m)) accepted_mutants++;
    }
  }
  // Sanity: the fuzzer exercised the success paths too, not only early failures.
  EXPECT_GT(accepted_mutants, 1000);
}

TEST(FuzzDecode, RecBufferIterationOnGarbage) {
  std::mt19937 rng(kSeed + 1);
  for (int i = 0; i < kIterations; i++) {
    RecBuffer b;
    b.count = rng() % 8;
    b.buf = random_bytes(rng, 80);
    b.records();
    RecBuffer good;
    good.add(1, nullptr, {1, 2}, {3});
    good.add(2, nullptr, {}, {4, 5, 6});
    good.buf = mutate(rng, good.buf);
    good.records();
  }
}

TEST(FuzzDecode, MessagesSurviveRandomInput) {
  std::mt19937 rng(kSeed + 2);
  const uint64_t srvids[] = {SRVID_BANNING,
                             SRVID_ELECTION,
                             SRVID_LEADER,
                             SRVID_RECONFIGURE,
                             SRVID_RELEASE_IP,
                             SRVID_TAKE_IP,
                             SRVID_SET_NODE_FLAGS,
                             SRVID_RECD_UPDATE_IP,
                             SRVID_VACUUM_FETCH,
                             SRVID_DETACH_DATABASE,
                             SRVID_MEM_DUMP,
                             SRVID_TAKEOVER_RUN,
                             SRVID_DISABLE_RECOVERIES,
                             SRVID_DISABLE_IP_CHECK};
  for (int i = 0; i < kIterations; i++) {
    Bytes b = random_bytes(rng, 64);
    for (uint64_t s : srvids) check_message_payload(s, b);
  }
}

TEST(FuzzDecode, PacketsSurviveRandomAndMutatedInput) {
  std::mt19937 rng(kSeed + 3);
  Header h;
  h.destnode = 1;
  h.srcnode = 2;
  h.reqid = 3;
  ReqControl rc;
  rc.opcode = CONTROL_GET_NODEMAP;
  rc.data = testing::sample_payload(PayloadKind::kNodeMap);
  ReplyControl rp;
  rp.data = {1, 2, 3, 4};
  rp.errmsg = "failed";
  ReqCall call;
  call.key = {1, 2, 3};
  call.calldata = {4, 5};
  ReqMessage msg;
  msg.srvid = SRVID_ELECTION;
  msg.data = Bytes(32, 7);
  ReqDmaster dm;
  dm.key = {9};
  dm.data = {8, 7};
  const Bytes valid[] = {encode(h, rc),           encode(h, rp), encode(h, call),
                         encode(h, msg),          encode(h, dm), encode(h, ReqKeepalive{}),
                         encode(h, ReplyError{}), encode(h, rc)};
  for (int i = 0; i < kIterations; i++) {
    decode_all_packets(random_bytes(rng, 128));
    for (const auto& v : valid) decode_all_packets(mutate(rng, v));
  }
}

}  // namespace
}  // namespace ctdb::proto
