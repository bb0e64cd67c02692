// The pure parts of vacuuming (daemon/db/vacuum.h): delete-queue bookkeeping, the decisions
// taken for each record (fast path, lmaster purge, TRY_DELETE_RECORDS on other nodes), when a
// run is a full one, and the framing of the full-scan child's pipe.
#include <gtest/gtest.h>

#include <string>

#include "ctdb/protocol.h"
#include "daemon/db/vacuum.h"
#include "protocol/types.h"

namespace ctdb::daemon::vacuum {
namespace {

Bytes key(const std::string& s) { return Bytes(s.begin(), s.end()); }

LtdbHeader hdr(uint64_t rsn, uint32_t dmaster, uint32_t flags = 0) {
  LtdbHeader h;
  h.rsn = rsn;
  h.dmaster = dmaster;
  h.flags = flags;
  return h;
}

LocalCopy copy(bool exists, bool empty, LtdbHeader h) {
  LocalCopy c;
  c.exists = exists;
  c.empty = empty;
  c.header = h;
  return c;
}

TEST(VacuumDeleteQueue, ScheduleUpdatesRemoveDropsRequeueKeepsNewer) {
  DeleteQueue q;
  q.schedule(key("a"), hdr(3, 1));
  q.schedule(key("a"), hdr(5, 1));  // scheduled again: the newer header
  q.schedule(key("b"), hdr(1, 1));
  ASSERT_EQ(q.size(), 2u);
  ASSERT_NE(q.find(key("a")), nullptr);
  EXPECT_EQ(q.find(key("a"))->rsn, 5u);

  q.remove(key("b"));  // revived
  EXPECT_EQ(q.find(key("b")), nullptr);
  q.remove(key("zz"));  // not queued: nothing happens
  EXPECT_EQ(q.size(), 1u);

  auto taken = q.take();
  EXPECT_TRUE(q.empty());
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken.begin()->second.rsn, 5u);

  // A run puts back what it could not finish, unless the record was scheduled again meanwhile.
  q.schedule(key("a"), hdr(9, 1));
  q.requeue(key("a"), hdr(5, 1));
  q.requeue(key("c"), hdr(2, 1));
  EXPECT_EQ(q.find(key("a"))->rsn, 9u);
  EXPECT_EQ(q.find(key("c"))->rsn, 2u);
}

TEST(VacuumDeleteQueue, KeysWithOneHashStayApart) {
  // 4.17 indexes the queue by key hash and drops a colliding key; exact keys keep both.
  DeleteQueue q;
  q.schedule(key("k1"), hdr(1, 0));
  Bytes with_nul = key("k1");
  with_nul.push_back(0);
  q.schedule(with_nul, hdr(3, 0));
  EXPECT_EQ(q.size(), 2u);
}

TEST(VacuumFullRun, EveryFastPathCountRuns) {
  uint32_t count = 0;
  std::string kinds;
  for (int run = 0; run < 10; run++) {
    kinds += full_run_due(&count, 3) ? 'F' : 'f';
    count++;  // the run went through (a full one counts too, as in 4.17)
  }
  EXPECT_EQ(kinds, "fffFffFffF");
  count = 5;
  EXPECT_FALSE(full_run_due(&count, 0));  // VacuumFastPathCount 0: never a full scan
  EXPECT_EQ(count, 0u);
}

TEST(VacuumClassify, FastPathDecisions) {
  const uint32_t me = 1, other = 2;
  LtdbHeader queued = hdr(7, me);
  struct Case {
    const char* what;
    LocalCopy now;
    LtdbHeader queued;
    uint32_t lmaster;
    QueuedAction want;
  } cases[] = {
      {"gone", copy(false, false, {}), queued, me, QueuedAction::kSkip},
      {"filled again", copy(true, false, hdr(7, me)), queued, me, QueuedAction::kSkip},
      {"migrated away", copy(true, true, hdr(8, other)), queued, me, QueuedAction::kSkip},
      {"away and back", copy(true, true, hdr(9, me)), queued, me, QueuedAction::kSkip},
      {"read-only delegations", copy(true, true, hdr(7, me, REC_RO_HAVE_DELEGATIONS)), queued, me,
       QueuedAction::kSkip},
      {"not lmaster", copy(true, true, hdr(7, me)), queued, other, QueuedAction::kFetchList},
      {"lmaster, never migrated with data", copy(true, true, hdr(7, me)), queued, me,
       QueuedAction::kDeleteLocal},
      {"lmaster, migrated with data (queued header)", copy(true, true, hdr(7, me)),
       hdr(7, me, REC_FLAG_MIGRATED_WITH_DATA), me, QueuedAction::kDeleteList},
      {"lmaster, migrated with data (current header)",
       copy(true, true, hdr(7, me, REC_FLAG_MIGRATED_WITH_DATA)), queued, me,
       QueuedAction::kDeleteList},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(classify_queued(c.now, c.queued, me, c.lmaster), c.want) << c.what;
  }
}

TEST(VacuumClassify, LmasterPurge) {
  const uint32_t me = 0;
  LtdbHeader listed = hdr(4, me, REC_FLAG_MIGRATED_WITH_DATA);
  EXPECT_TRUE(may_purge(copy(true, true, hdr(4, me)), listed, me, me));
  EXPECT_FALSE(may_purge(copy(false, false, {}), listed, me, me)) << "gone";
  EXPECT_FALSE(may_purge(copy(true, false, hdr(4, me)), listed, me, me)) << "filled again";
  EXPECT_FALSE(may_purge(copy(true, true, hdr(5, 2)), listed, me, me)) << "migrated away";
  EXPECT_FALSE(may_purge(copy(true, true, hdr(6, me)), listed, me, me)) << "rsn moved";
  EXPECT_FALSE(may_purge(copy(true, true, hdr(4, me, REC_RO_HAVE_READONLY)), listed, me, me));
  EXPECT_FALSE(may_purge(copy(true, true, hdr(4, me)), listed, me, 1)) << "lmaster moved";
}

TEST(VacuumTryDelete, NonLmasterVerdicts) {
  const uint32_t me = 2, lm = 0;
  const size_t H = proto::kLtdbHeaderSize;
  LtdbHeader sent = hdr(10, lm, REC_FLAG_MIGRATED_WITH_DATA);
  // Stale copy, older or as old as the lmaster's: goes.
  EXPECT_EQ(try_delete_verdict(false, H, true, false, hdr(9, lm), sent, me), TryDelete::kDelete);
  EXPECT_EQ(try_delete_verdict(false, H, true, false, hdr(10, 1), sent, me), TryDelete::kDelete);
  // Nothing here: counts as deleted.
  EXPECT_EQ(try_delete_verdict(false, H, false, false, {}, sent, me), TryDelete::kNothing);
  // Garbage shorter than a header goes.
  EXPECT_EQ(try_delete_verdict(false, H, true, true, {}, sent, me), TryDelete::kDelete);
  // A newer copy than the lmaster's stays: deleting the lmaster's would let it come back.
  EXPECT_EQ(try_delete_verdict(false, H, true, false, hdr(11, lm), sent, me), TryDelete::kRefuse);
  // This node is dmaster: its copy is the record.
  EXPECT_EQ(try_delete_verdict(false, H, true, false, hdr(3, me), sent, me), TryDelete::kRefuse);
  // Read-only delegations on either side.
  EXPECT_EQ(try_delete_verdict(false, H, true, false, hdr(3, lm, REC_RO_HAVE_READONLY), sent, me),
            TryDelete::kRefuse);
  EXPECT_EQ(try_delete_verdict(false, H, true, false, hdr(3, lm),
                               hdr(10, lm, REC_RO_HAVE_DELEGATIONS), me),
            TryDelete::kRefuse);
  // Sent to the lmaster itself, or with data after the header: refused.
  EXPECT_EQ(try_delete_verdict(true, H, true, false, hdr(3, lm), sent, me), TryDelete::kRefuse);
  EXPECT_EQ(try_delete_verdict(false, H + 1, true, false, hdr(3, lm), sent, me),
            TryDelete::kRefuse);
}

TEST(VacuumCandidateStream, RoundTripInPieces) {
  Bytes wire;
  LtdbHeader h1 = hdr(3, 1, REC_FLAG_MIGRATED_WITH_DATA), h2 = hdr(99, 1);
  Bytes raw1 = proto::to_bytes(h1), raw2 = proto::to_bytes(h2);
  Bytes k1 = key("alpha"), k2;  // an empty key is a key too
  append_candidate(&wire, k1.data(), k1.size(), raw1.data());
  append_candidate(&wire, k2.data(), k2.size(), raw2.data());
  append_end(&wire, 0);

  CandidateStream s(1024);
  Bytes k;
  LtdbHeader h;
  int32_t status = -1;
  std::vector<std::pair<Bytes, uint64_t>> got;
  bool ended = false;
  // One byte at a time: every cut of the stream must work.
  for (uint8_t b : wire) {
    s.append(&b, 1);
    for (;;) {
      auto n = s.next(&k, &h, &status);
      if (n == CandidateStream::Next::kRecord) {
        got.emplace_back(k, h.rsn);
        continue;
      }
      if (n == CandidateStream::Next::kEnd) ended = true;
      ASSERT_NE(n, CandidateStream::Next::kBad);
      break;
    }
  }
  ASSERT_TRUE(ended);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, k1);
  EXPECT_EQ(got[0].second, 3u);
  EXPECT_TRUE(got[1].first.empty());
  EXPECT_EQ(got[1].second, 99u);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(VacuumCandidateStream, FailedWalkAndOversizedKey) {
  Bytes wire;
  append_end(&wire, -1);
  CandidateStream s(16);
  s.append(wire.data(), wire.size());
  Bytes k;
  LtdbHeader h;
  int32_t status = 0;
  EXPECT_EQ(s.next(&k, &h, &status), CandidateStream::Next::kEnd);
  EXPECT_EQ(status, -1);

  Bytes big;
  proto::Writer(&big).u32(17);  // longer than the 16 allowed
  big.resize(big.size() + proto::kLtdbHeaderSize + 17);
  CandidateStream s2(16);
  s2.append(big.data(), big.size());
  EXPECT_EQ(s2.next(&k, &h, &status), CandidateStream::Next::kBad);
}

TEST(VacuumPayloads, TryDeleteRecordsAsTheLmasterSendsIt) {
  // 4.17 marshals the delete list with the db id as reqid and the header as the record data;
  // the reply of a node lists the records it kept, as they came.
  proto::RecBuffer recs;
  recs.db_id = 0x12345678;
  LtdbHeader h = hdr(0x0102030405060708ull, 1, REC_FLAG_MIGRATED_WITH_DATA);
  recs.add(recs.db_id, &h, key("k"), {});
  Bytes wire = proto::to_bytes(recs);
  // db_id, count, then one rec_data: length 16 + 1 + 24, reqid, keylen 1, datalen 24.
  ASSERT_EQ(wire.size(), 8u + 16u + 1u + 24u);
  EXPECT_EQ(wire[8], 41);
  EXPECT_EQ(wire[12], 0x78);  // reqid = db_id
  EXPECT_EQ(wire[20], 24);    // datalen
  EXPECT_EQ(wire[24], 'k');
  EXPECT_EQ(wire[25], 0x08);  // rsn, little-endian
  proto::RecBuffer back;
  ASSERT_TRUE(proto::from_bytes(wire, &back));
  auto list = back.records();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  LtdbHeader got;
  Bytes rest;
  ASSERT_TRUE((*list)[0].split_header(&got, &rest));
  EXPECT_EQ(got.rsn, h.rsn);
  EXPECT_EQ(got.flags, h.flags);
  EXPECT_TRUE(rest.empty());
}

}  // namespace
}  // namespace ctdb::daemon::vacuum
