#!/usr/bin/env python3
# A hostile "node" for tests (stdlib only): connects to a daemon's node port from a chosen
# source address and sends well-formed or deliberately broken packets, step by step, printing
# one line per step; or floods the port with connect + close.
"""Usage:
  hostile_peer.py steps --from SRC --to DST[:PORT] [--log FILE] STEP...
  hostile_peer.py flood --from SRC --to DST[:PORT] [--rate N] [--seconds S]

`steps` connects from SRC (bound before connect, so the daemon sees that address) and runs
each STEP in order, printing "STEP: RESULT":
  send:CASE          sends CASE's bytes; RESULT "sent N bytes" or "closed (...)".
  expect-closed:SECS waits up to SECS for the daemon to close the connection; RESULT "closed"
                     or "open".
  wait-log:SECS:TEXT waits up to SECS until --log FILE has a line containing TEXT written after
                     this program started; RESULT "seen" or "not seen".
  hold               waits until stdin reaches end of file (keeps the connection as it is).
Cases:
  keepalive          a valid REQ_KEEPALIVE (40 bytes).
  garbage            4 KiB of seeded pseudo-random bytes whose length field is not a valid one.
  oversized          a header announcing 0xfffffff0 bytes, then 32 more bytes.
  tiny-length        a length field of 8 (shorter than a header), then 4 bytes.
  unaligned          a 36-byte packet (lengths on the node port are multiples of 8).
  bad-magic          a REQ_KEEPALIVE with magic 0x12345678.
  bad-version        a REQ_KEEPALIVE with protocol version 2.
  wrong-generation=G a REQ_CALL (NULL call on database 0x12345678) of generation G.
  half               the 32-byte header of a 64-byte REQ_KEEPALIVE; the rest is never sent.
Exit status 0 when every step ran (whatever the daemon did), 2 when the connection could
not be made at all.

`flood` opens and at once closes (RST, so that no TIME_WAIT piles up) a connection from SRC
about RATE times a second (default 1000) for SECONDS (default 60), and prints
"connections=N failed=M seconds=T rate=R".
"""

import os
import random
import socket
import struct
import sys
import time

MAGIC = 0x43544442
VERSION = 1
REQ_CALL = 0
REQ_KEEPALIVE = 9
DEFAULT_PORT = 4379
HEADER = struct.Struct("<IIIIIIII")  # length magic version generation operation dest src reqid


def header(length, operation, generation=0, magic=MAGIC, version=VERSION, dest=0, src=0,
           reqid=1):
    return HEADER.pack(length, magic, version, generation, operation, dest, src, reqid)


def keepalive(magic=MAGIC, version=VERSION):
    return header(40, REQ_KEEPALIVE, magic=magic, version=version) + struct.pack("<II", 1, 0)


def req_call(generation):
    key = b"hostile"
    body = struct.pack("<IIIIII", 0, 0x12345678, 0xFF000001, 0, len(key), 0) + key
    length = HEADER.size + len(body)
    padded = (length + 7) & ~7
    pkt = header(padded, REQ_CALL, generation=generation, reqid=77) + body
    return pkt + b"\0" * (padded - length)


def garbage():
    rng = random.Random(20240601)
    data = bytearray(rng.randbytes(4096))
    # Whatever the seed gives, the first word is not a length the daemon could wait for.
    data[0:4] = struct.pack("<I", 0xDEADBEEF)
    return bytes(data)


def case_bytes(case):
    if case == "keepalive":
        return keepalive()
    if case == "garbage":
        return garbage()
    if case == "oversized":
        return header(0xFFFFFFF0, REQ_KEEPALIVE) + b"\xab" * 32
    if case == "tiny-length":
        return struct.pack("<II", 8, MAGIC) + b"\0" * 4
    if case == "unaligned":
        return header(36, REQ_KEEPALIVE) + b"\0" * 4
    if case == "bad-magic":
        return keepalive(magic=0x12345678)
    if case == "bad-version":
        return keepalive(version=2)
    if case.startswith("wrong-generation="):
        return req_call(int(case.split("=", 1)[1], 0))
    if case == "half":
        return header(64, REQ_KEEPALIVE)
    raise ValueError("unknown case %s" % case)


def parse_addr(text):
    host, _, port = text.partition(":")
    return host, int(port) if port else DEFAULT_PORT


def connect_from(src, dst, timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(dst)
    return s


def expect_closed(sock, seconds):
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return "open"
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return "open"
        except (ConnectionResetError, BrokenPipeError):
            return "closed"
        if not data:
            return "closed"
        # Nothing is ever sent to a node on its incoming link; keep reading to the close.


def wait_log(path, start_size, seconds, text):
    end = time.monotonic() + seconds
    while True:
        try:
            with open(path, "rb") as f:
                f.seek(start_size)
                if text.encode() in f.read():
                    return "seen"
        except OSError:
            pass
        if time.monotonic() >= end:
            return "not seen"
        time.sleep(0.05)


def run_steps(opts, steps):
    log_start = 0
    if opts.get("log"):
        try:
            log_start = os.path.getsize(opts["log"])
        except OSError:
            log_start = 0
    try:
        sock = connect_from(opts["from"], parse_addr(opts["to"]))
    except OSError as e:
        print("connect: error %s" % e, flush=True)
        return 2
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "send":
            data = case_bytes(arg)
            try:
                sock.sendall(data)
                res = "sent %d bytes" % len(data)
            except OSError as e:
                res = "closed (send: %s)" % e.strerror
        elif kind == "expect-closed":
            res = expect_closed(sock, float(arg))
        elif kind == "wait-log":
            secs, _, text = arg.partition(":")
            res = wait_log(opts["log"], log_start, float(secs), text)
        elif kind == "hold":
            sys.stdin.read()
            res = "released"
        else:
            sys.stderr.write("unknown step %s\n" % step)
            return 2
        print("%s: %s" % (step, res), flush=True)
    sock.close()
    return 0


def flood(opts):
    rate = float(opts.get("rate", 1000))
    seconds = float(opts.get("seconds", 60))
    dst = parse_addr(opts["to"])
    linger_rst = struct.pack("ii", 1, 0)
    done = failed = 0
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        # Paced by the schedule, not by sleeps of a fixed length: catch up after a slow spell.
        due = int((now - start) * rate) + 1
        if done + failed >= due:
            time.sleep(min(0.002, end - now))
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_rst)
        s.settimeout(2.0)
        try:
            s.bind((opts["from"], 0))
            s.connect(dst)
            done += 1
        except OSError:
            failed += 1
        finally:
            s.close()
    took = time.monotonic() - start
    print("connections=%d failed=%d seconds=%.1f rate=%.0f" % (done, failed, took, done / took),
          flush=True)
    return 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("steps", "flood"):
        sys.stderr.write(__doc__)
        return 2
    opts, rest, i = {}, [], 2
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and i + 1 < len(argv):
            opts[a[2:]] = argv[i + 1]
            i += 2
        else:
            rest.append(a)
            i += 1
    if "from" not in opts or "to" not in opts:
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "flood":
        return flood(opts)
    return run_steps(opts, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
