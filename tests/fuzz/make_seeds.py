#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/seed-*.

Seeds are valid inputs in each target's layout (see the comment at the top of each
fuzz_*.cpp): the golden packets of tests/golden/ (captured from the stock 4.17 tool and
daemon) as binary, their control payloads behind their opcode, the example config files, and
a few hand-made lines. Run it again after a layout change; files named regress-* (inputs that
once failed) are left alone.
"""
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
GOLDEN = os.path.join(ROOT, "tests", "golden")
CORPUS = os.path.join(HERE, "corpus")

HEADER = 32
REQ_MESSAGE, REQ_CONTROL, REPLY_CONTROL = 5, 7, 8


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return bytes.fromhex(re.sub(r"\s+", "", f.read()))


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def header(pkt):
    return struct.unpack_from("<8I", pkt, 0)


def req_control(pkt):
    """(opcode, srvid, data) of a REQ_CONTROL packet."""
    opcode, _pad, srvid, _client, _flags, dlen = struct.unpack_from("<IIQIII", pkt, HEADER)
    off = HEADER + 28
    return opcode, srvid, pkt[off:off + dlen]


def reply_control(pkt):
    status, dlen, _elen = struct.unpack_from("<iII", pkt, HEADER)
    return status, pkt[HEADER + 12:HEADER + 12 + dlen]


def message(pkt):
    srvid, dlen = struct.unpack_from("<QI", pkt, HEADER)
    return srvid, pkt[HEADER + 12:HEADER + 12 + dlen]


class Seeds:
    def __init__(self):
        self.count = 0

    def put(self, target, name, data):
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
        self.count += 1


def main():
    s = Seeds()
    for target in os.listdir(CORPUS) if os.path.isdir(CORPUS) else []:
        for f in os.listdir(os.path.join(CORPUS, target)):
            if f.startswith("seed-"):
                os.unlink(os.path.join(CORPUS, target, f))

    files = sorted(f for f in os.listdir(GOLDEN) if f.endswith(".hex"))
    packets = {f[:-4]: golden(f) for f in files}
    replies = {}  # reqid -> reply data, to pair replies with their opcode
    for name, pkt in packets.items():
        s.put("fuzz_packet", name, pkt)
        op = header(pkt)[4]
        if op == REPLY_CONTROL:
            replies[name] = reply_control(pkt)

    # Control payloads behind their opcode; replies paired with their request's opcode.
    opcodes = {}
    for name, pkt in packets.items():
        if header(pkt)[4] != REQ_CONTROL:
            continue
        opcode, _srvid, data = req_control(pkt)
        stem = name[:-4] if name.endswith(".req") else name
        opcodes[stem] = opcode
        s.put("fuzz_control_request", stem, u32(opcode) + data)
        rep = replies.get(stem + ".reply")
        if rep is not None and rep[0] == 0:
            s.put("fuzz_control_reply", stem, u32(opcode) + rep[1])

    # Messages: selector 0xff, then the srvid, then the payload.
    for name, pkt in packets.items():
        if header(pkt)[4] == REQ_MESSAGE:
            srvid, data = message(pkt)
            s.put("fuzz_message", name, b"\xff" + u64(srvid) + data)
    s.put("fuzz_message", "election", bytes([3]) + u32(3) + u32(0) + u64(9) + u64(0) + u32(1) +
          u32(0x20))
    s.put("fuzz_message", "release_ip", bytes([8]) + b"10.0.0.5\x00")
    s.put("fuzz_message", "disable", bytes([17]) + u32(2) + u32(0) + u64(0xCE00000000000078) +
          u32(60) + u32(0))
    rec = u32(16 + 2 + 1) + u32(7) + u32(2) + u32(1) + b"ky" + b"v"
    s.put("fuzz_message", "vacuum_fetch", bytes([13]) + u32(0x42) + u32(1) + rec)

    # Streams: mode, chunk seed, then packets back to back (and one with a bad length).
    stream = packets["get_pnn.req"] + packets["get_nodemap.req"] + packets["ping.req"]
    for target in ("fuzz_stream_client", "fuzz_stream_node"):
        s.put(target, "three_packets", bytes([0]) + u32(0x12345) + stream)
        s.put(target, "echo", bytes([2]) + u32(7) + stream)
        s.put(target, "destroy_in_handler", bytes([0x14]) + u32(99) + stream)
        s.put(target, "bad_length", bytes([1]) + u32(3) + packets["ping.req"] + u32(12) + b"x" * 8)
        s.put(target, "partial", bytes([0]) + u32(5) + packets["ping.req"][:40])

    # Config files.
    with open(os.path.join(ROOT, "config", "nodes.example")) as f:
        s.put("fuzz_nodes_file", "example", f.read())
    s.put("fuzz_nodes_file", "ports_deleted_v6",
          "10.0.0.1:4380\n#10.0.0.2\n\n  [fd00::1]:4379 \nfd00::2\n")
    with open(os.path.join(ROOT, "config", "public_addresses.example")) as f:
        s.put("fuzz_public_addresses", "example", b"\x01" + f.read().encode())
    s.put("fuzz_public_addresses", "default_iface",
          b"\x01" + b"10.0.0.10/24\nfd00::10/64 eth1,eth2 # comment\n")
    s.put("fuzz_group_file", "lvs",
          b"\x05" + b"10.0.0.1\n# comment\n10.0.0.2 follower-only\n" + b"\x00" +
          b"export CTDB_FUZZ_GROUP_NODES=\"/etc/ctdb/lvs_nodes\"\n")
    s.put("fuzz_group_file", "sysconfig_only", b"\x00\x00CTDB_FUZZ_GROUP_NODES=/x\n")

    # Text parsers: selector, then the text.
    texts = [
        (0, "v4_port", "10.0.0.1:4379"), (0, "v6_port", "[fe80::1]:80"), (0, "v6", "fd00::1:80"),
        (1, "mask", "10.0.0.1/24"), (1, "mask6", "fd00::/64"),
        (2, "tunables", "RecoverTimeout=30\n# c\nMonitorInterval = 0x10\nbad\n[section]\n"),
        (3, "level", "NOTICE"), (3, "level_num", "10"),
        (4, "ptrans", '"0x0102" "value"'), (4, "hex", "0xdeadbeef"), (4, "runstate", "RUNNING"),
        (5, "lines", "a\n b \r\n\tc"),
        (6, "ctdb_conf", "[logging]\n\tlocation = syslog\n[cluster]\n  cluster lock = !/bin/x a \\\n b\n"
                         "leader timeout = 0x10\n[legacy]\nstart as stopped = YES\n"),
    ]
    for sel, name, text in texts:
        s.put("fuzz_text_parsers", name, bytes([sel]) + text.encode())
    # The stock ctdb-event helper's `status legacy monitor` request (strace) and a status reply.
    def stringn(t):
        return u32(len(t) + 1) + t + b"\0"
    status_req = u32(0) + u32(0x7fffff38) + u32(2) + stringn(b"legacy") + stringn(b"monitor")
    s.put("fuzz_text_parsers", "event_status_req", bytes([7]) + u32(len(status_req) + 4) + status_req)
    script = stringn(b"00.ctdb") + u64(10) + u64(1) + u64(10) + u64(5) + u32(0) + stringn(b"out")
    status_reply = u32(0) + u32(9) + u32(2) + u32(0) + u32(0) + u32(1) + script
    s.put("fuzz_text_parsers", "event_status_reply",
          bytes([7]) + u32(len(status_reply) + 4) + status_reply)

    # ltdb: records (u8 key length, key, u16 value length, value), then a vnnmap.
    hdr = u64(5) + u32(1) + u32(0) + u32(0x10000) + u32(0)
    recs = bytes([3]) + b"key" + struct.pack("<H", len(hdr) + 2) + hdr + b"v1"
    recs += bytes([2]) + b"k2" + struct.pack("<H", 3) + b"abc"
    s.put("fuzz_ltdb", "records", recs + u32(0) + u32(1) + u32(2))

    # Tool replies: op, status byte (< 192: success), u16 data length, data.
    def reply_op(op, stem):
        data = replies[stem + ".reply"][1]
        return bytes([op, 0]) + struct.pack("<H", len(data)) + data
    ops = {
        "uptime": reply_op(2, "uptime"), "statistics": reply_op(3, "statistics"),
        "nodemap": reply_op(5, "get_nodemap"), "vnnmap": reply_op(7, "getvnnmap"),
        "list_tunables": reply_op(8, "list_tunables"), "get_tunable": reply_op(9, "get_tunable"),
        "dbmap": reply_op(10, "get_dbmap"), "dbname": reply_op(11, "get_dbname"),
        "seqnum": reply_op(12, "get_db_seqnum"), "caps": reply_op(13, "get_capabilities"),
        "debug": reply_op(14, "get_debug"), "open_flags": reply_op(15, "db_open_flags"),
        "public_ips": reply_op(16, "get_public_ips"),
        "ip_info": reply_op(17, "get_public_ip_info"), "ifaces": reply_op(18, "get_ifaces"),
        "runstate": reply_op(1, "get_runstate"),
    }
    ops["status_answers"] = bytes([0, 0, 0, 0])
    ops["failed"] = bytes([7, 255]) + u32(0xFFFFFFFF) + bytes([0, 0])
    rec = u32(16 + 1 + 26) + u32(0) + u32(1) + u32(26) + b"k" + hdr + b"va"
    ops["traverse"] = (bytes([24, 0, 2, 0, 1]) + b"k" + bytes([26]) + hdr + b"va" +
                       bytes([2]) + struct.pack("<H", len(rec)) + rec)
    ops["call"] = bytes([25, 0]) + u32(0) + struct.pack("<H", 2) + b"ok"
    ops["record"] = bytes([26, 0, 2]) + b"key" + struct.pack("<H", len(hdr) + 1) + hdr + b"x"
    ops["g_lock"] = bytes([27]) + struct.pack("<H", 32) + u32(1) + u32(0) + u64(4242) + u32(1) + \
        u32(0) + u64(7)
    for name, data in ops.items():
        s.put("fuzz_tool_replies", name, data)
    s.put("fuzz_tool_replies", "sequence", ops["nodemap"] + ops["traverse"] + ops["record"])

    print(f"wrote {s.count} seeds under {os.path.relpath(CORPUS, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
