// The tunables of ctdbd, one X(...) row each, in 4.17's tunable_map order (the LIST_TUNABLES
// order): X(NAME, DEFAULT, OBSOLETE, WIRE_INDEX, MIN, MAX, DOC).
//  - NAME is spelled as 4.17 (or the seed) spells it; code refers to it as kNAME.
//  - DEFAULT is the seed's where the seed names it, else 4.17's.
//  - OBSOLETE as 4.17: not listed; setting it stores the value but warns.
//  - WIRE_INDEX is the field in 4.17's struct ctdb_tunable_list (not the table order, e.g.
//    LCP2PublicIPs), or -1 for the seed-only DisableWhenUnhealthy (next to DeterministicIPs, as
//    in the seed man page).
//  - MIN..MAX is enforced by `setvar`. 4.17 accepts any uint32; we refuse values that cannot
//    work: booleans are 0/1, intervals, timeouts and counts that drive a timer or a divisor
//    are >= 1, the algorithm selector is 0..2, hash sizes stay within what libtdb takes
//    (2^24 chains: 64 MiB of chain heads). Where 0 means "off" (warnings, latency logging,
//    sticky times) 0 is allowed.
#pragma once

// kMax and kMaxHashSize are defined where the table is expanded (tunables.cpp).
#define CTDB_TUNABLE_LIST(X)                                                                      \
  X(MaxRedirectCount, 3, true, 0, 0, kMax, "Obsolete.")                                           \
  X(SeqnumInterval, 1000, false, 1, 1, kMax,                                                      \
    "Milliseconds between checks that propagate database sequence numbers to other nodes.")       \
  X(ControlTimeout, 60, false, 2, 1, kMax,                                                        \
    "Seconds to wait for the reply to a control sent to a local or remote daemon.")               \
  X(TraverseTimeout, 20, false, 3, 1, kMax,                                                       \
    "Seconds a cluster-wide database traverse may run before it is aborted.")                     \
  X(KeepaliveInterval, 1, false, 4, 1, kMax,                                                      \
    "Seconds between keepalive packets sent to each other node.")                                 \
  X(KeepaliveLimit, 5, false, 5, 1, kMax,                                                         \
    "Keepalive intervals without traffic after which a peer is marked DISCONNECTED.")             \
  X(RecoverTimeout, 30, false, 6, 1, kMax,                                                        \
    "Seconds to wait for the reply to a control sent during recovery.")                           \
  X(RecoverInterval, 1, false, 7, 1, kMax,                                                        \
    "Seconds between the recovery master's cluster consistency checks.")                          \
  X(ElectionTimeout, 3, false, 8, 1, kMax,                                                        \
    "Seconds an election round may take before a new one starts.")                                \
  X(TakeoverTimeout, 9, false, 9, 1, kMax,                                                        \
    "Seconds within which a public IP takeover run should complete.")                             \
  X(MonitorInterval, 15, false, 10, 1, kMax,                                                      \
    "Seconds between runs of the monitor event to check the node's health.")                      \
  X(TickleUpdateInterval, 20, false, 11, 1, kMax,                                                 \
    "Seconds between pushes of the tickle (client TCP connection) lists to other nodes.")         \
  X(EventScriptTimeout, 20, false, 12, 1, kMax,                                                   \
    "Seconds an event may run before it is aborted and counted as failed.")                       \
  X(MonitorTimeoutCount, 20, false, 13, 1, kMax,                                                  \
    "Consecutive monitor event timeouts before the node is marked UNHEALTHY.")                    \
  X(EventScriptUnhealthyOnTimeout, 0, true, 14, 0, kMax, "Obsolete.")                             \
  X(RecoveryGracePeriod, 120, false, 15, 1, kMax,                                                 \
    "Seconds without causing a failed recovery after which a node's ban count is reset.")         \
  X(RecoveryBanPeriod, 300, false, 16, 1, kMax,                                                   \
    "Seconds a node stays BANNED after it caused repeated recovery failures.")                    \
  X(DatabaseHashSize, 100000, false, 17, 1, kMaxHashSize,                                         \
    "Number of hash chains in newly created local database files.")                               \
  X(DatabaseMaxDead, 5, false, 18, 0, kMax,                                                       \
    "Dead records kept per hash chain in volatile databases before they are reused.")             \
  X(RerecoveryTimeout, 10, false, 19, 0, kMax,                                                    \
    "Seconds after a recovery during which no further recovery is started.")                      \
  X(EnableBans, 1, false, 20, 0, 1, "When 0, nodes are never banned.")                            \
  X(DeterministicIPs, 1, false, 21, 0, 1,                                                         \
    "When 1, public IP addresses stay with fixed home nodes where possible.")                     \
  X(DisableWhenUnhealthy, 0, false, -1, 0, 1,                                                     \
    "When 1, a node that becomes UNHEALTHY is also permanently DISABLED.")                        \
  X(LCP2PublicIPs, 1, true, 41, 0, kMax, "Obsolete.")                                             \
  X(ReclockPingPeriod, 60, true, 22, 0, kMax, "Obsolete.")                                        \
  X(NoIPFailback, 0, false, 23, 0, 1,                                                             \
    "When 1, addresses are not moved back to a node that becomes healthy again.")                 \
  X(DisableIPFailover, 0, true, 24, 0, kMax, "Obsolete.")                                         \
  X(VerboseMemoryNames, 0, false, 25, 0, 1, "When 1, memory reports use more descriptive names.") \
  X(RecdPingTimeout, 60, false, 26, 1, kMax,                                                      \
    "Seconds without a recovery daemon ping before it is counted as hung.")                       \
  X(RecdFailCount, 10, false, 27, 1, kMax,                                                        \
    "Missed recovery daemon pings before it is considered hung.")                                 \
  X(LogLatencyMs, 0, false, 28, 0, kMax,                                                          \
    "When non-zero, log record and lock operations slower than this many milliseconds.")          \
  X(RecLockLatencyMs, 1000, false, 29, 0, kMax,                                                   \
    "When non-zero, log recovery lock operations slower than this many milliseconds.")            \
  X(RecoveryDropAllIPs, 120, false, 30, 1, kMax,                                                  \
    "Seconds stuck in recovery, stopped or banned after which all public IPs are released.")      \
  X(VerifyRecoveryLock, 1, true, 31, 0, kMax, "Obsolete.")                                        \
  X(VacuumInterval, 10, false, 32, 1, kMax,                                                       \
    "Seconds between vacuuming runs on volatile databases.")                                      \
  X(VacuumMaxRunTime, 120, false, 33, 1, kMax,                                                    \
    "Seconds a vacuuming run may take before it is terminated.")                                  \
  X(RepackLimit, 10000, false, 34, 0, kMax,                                                       \
    "Freelist records above which vacuuming repacks a database.")                                 \
  X(VacuumLimit, 5000, true, 35, 0, kMax, "Obsolete.")                                            \
  X(VacuumFastPathCount, 60, false, 40, 0, kMax,                                                  \
    "Fast-path vacuuming runs between full database scans.")                                      \
  X(MaxQueueDropMsg, 1000000, false, 36, 1, kMax,                                                 \
    "Queued messages for one client after which the client is treated as hung.")                  \
  X(AllowUnhealthyDBRead, 0, false, 37, 0, 1,                                                     \
    "When 1, traverses may read databases that are marked unhealthy.")                            \
  X(StatHistoryInterval, 1, false, 38, 1, kMax,                                                   \
    "Seconds covered by each entry of the statistics history.")                                   \
  X(DeferredAttachTO, 120, false, 39, 1, kMax,                                                    \
    "Seconds a client's attach may wait for frozen databases before it fails.")                   \
  X(AllowClientDBAttach, 1, false, 42, 0, 1, "When 0, clients may not attach to databases.")      \
  X(RecoverPDBBySeqNum, 1, true, 43, 0, kMax, "Obsolete.")                                        \
  X(DeferredRebalanceOnNodeAdd, 300, true, 44, 0, kMax, "Obsolete.")                              \
  X(FetchCollapse, 1, false, 45, 0, 1,                                                            \
    "When 1, concurrent fetch requests for one record from one node are collapsed.")              \
  X(HopcountMakeSticky, 50, false, 46, 1, kMax,                                                   \
    "Migration hop count above which a record in a sticky database becomes sticky.")              \
  X(StickyDuration, 600, false, 47, 0, kMax, "Seconds a record stays sticky.")                    \
  X(StickyPindown, 200, false, 48, 0, kMax,                                                       \
    "Milliseconds a sticky record is kept on a node after migrating there.")                      \
  X(NoIPTakeover, 0, false, 49, 0, 1,                                                             \
    "When 1, public IP addresses are not failed over to other nodes.")                            \
  X(DBRecordCountWarn, 100000, false, 50, 0, kMax,                                                \
    "When non-zero, warn during recovery about databases with more records.")                     \
  X(DBRecordSizeWarn, 10000000, false, 51, 0, kMax,                                               \
    "When non-zero, warn during recovery about records larger than this many bytes.")             \
  X(DBSizeWarn, 100000000, false, 52, 0, kMax,                                                    \
    "When non-zero, warn during recovery about databases larger than this many bytes.")           \
  X(PullDBPreallocation, 10 * 1024 * 1024, false, 53, 0, kMax,                                    \
    "Bytes preallocated for the record buffer of a database pull.")                               \
  X(NoIPHostOnAllDisabled, 1, true, 54, 0, kMax, "Obsolete.")                                     \
  X(Samba3AvoidDeadlocks, 0, true, 55, 0, kMax, "Obsolete.")                                      \
  X(TDBMutexEnabled, 1, true, 56, 0, kMax, "Obsolete.")                                           \
  X(LockProcessesPerDB, 200, false, 57, 1, kMax, "Maximum lock helper processes per database.")   \
  X(RecBufferSizeLimit, 1000000, false, 58, 1, kMax,                                              \
    "Bytes of records per buffer in recovery and vacuuming controls.")                            \
  X(QueueBufferSize, 1024, false, 59, 1, kMax, "Bytes read from a socket at a time.")             \
  X(IPAllocAlgorithm, 2, false, 60, 0, 2,                                                         \
    "Public IP allocation: 0 deterministic, 1 non-deterministic, 2 LCP2.")                        \
  X(AllowMixedVersions, 0, false, 61, 0, 1,                                                       \
    "When 1, nodes of different CTDB versions may form a cluster.")
