#!/usr/bin/env python3
# Hostile local clients for tests (stdlib only; packets from tests/lib/ctdb_raw_client.py):
# many connections at once, a client that never reads its replies, a client that trickles a
# packet one byte a second. Each prints one line of key=value results.
"""Usage:
  hostile_clients.py many SOCKET N [--deadline S]
      Raises this process's descriptor limit, opens N connections, sends GET_PNN on each and
      waits (up to S seconds, default 120) for every one to get its reply or be closed.
      Prints "connected=C connect_failed=F replied=R closed=X bad=B pnn=P": replied + closed
      = connected when every connection was served or refused cleanly; bad counts anything
      else (a wrong answer, no answer by the deadline).
      With --hold-file F, once every connection is settled it writes "settled" to F and keeps
      the connections open until F is removed (so that a test can look at the daemon then).
  no-read SOCKET DBID KEY [--requests N]
      Reads one REQ_CALL fetch of KEY in database DBID to learn the reply's size, then sends
      N (default 2000) more, never reading a reply, until the daemon hangs up (60 s at most).
      Prints "requested_reply_bytes=B sent=S reply_bytes=R closed=yes|no".
  trickle SOCKET [--bystanders N] [--rounds M]
      One connection sends a GET_PNN one byte a second; once two bytes are out, N (default 5)
      other connections each run M (default 10) GET_PNN controls, each with a 10 s deadline.
      Then the trickler sends the rest at once and reads its own reply. Prints
      "bystander_replies=R trickled_when_done=T packet_bytes=L slow_reply=ok|..."
"""

import os
import resource
import select
import selectors
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ctdb_raw_client as raw  # noqa: E402

REQ_CALL = 0
REPLY_CALL = 1
FETCH_FUNC = 0xFF000002


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        sys.stderr.write("descriptor limit %d is below the %d needed\n" % (soft, need))
    return soft


def connect_unix(path, deadline):
    """A connected non-blocking socket; retries while the listen backlog is full."""
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()  # backlog full (EAGAIN): the daemon has not accepted the others yet
        except OSError:
            s.close()
            raise
        if time.monotonic() >= deadline:
            raise TimeoutError("connect: backlog stayed full")
        time.sleep(0.002)


def many(path, n, deadline_s, hold_file=None):
    raise_nofile(n + 64)
    deadline = time.monotonic() + deadline_s
    conns, failed = [], 0
    for _ in range(n):
        try:
            conns.append(connect_unix(path, deadline))
        except (OSError, TimeoutError):
            failed += 1
    sel = selectors.DefaultSelector()
    state = {}
    for i, s in enumerate(conns):
        # One GET_PNN each; 40 bytes always fit an empty socket buffer.
        try:
            s.send(raw.req_control(raw.CONTROL_GET_PNN, 1000 + i))
        except OSError:
            state[s] = "closed"
            continue
        state[s] = b""
        sel.register(s, selectors.EVENT_READ)
    replied = closed = bad = 0
    pnns = set()
    pending = sum(1 for v in state.values() if v != "closed")
    closed += len(state) - pending
    while pending > 0 and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            except BlockingIOError:
                continue
            buf = state[s] + data
            done = None
            if not data:
                done = "closed"
            elif len(buf) >= 4:
                (length,) = struct.unpack_from("<I", buf)
                if len(buf) >= length:
                    hdr = raw.HEADER.unpack_from(buf)
                    if hdr[4] == raw.REPLY_CONTROL:
                        status, _, _ = raw.parse_reply_control(buf[:length])
                        pnns.add(status)
                        done = "replied" if status >= 0 else "bad"
                    else:
                        done = "bad"
            if done is None:
                state[s] = buf
                continue
            sel.unregister(s)
            state[s] = done
            pending -= 1
            if done == "replied":
                replied += 1
            elif done == "closed":
                closed += 1
            else:
                bad += 1
    bad += pending  # no answer by the deadline
    print("connected=%d connect_failed=%d replied=%d closed=%d bad=%d pnn=%s" %
          (len(conns), failed, replied, closed, bad, ",".join(str(p) for p in sorted(pnns))),
          flush=True)
    if hold_file:
        with open(hold_file, "w") as f:
            f.write("settled\n")
        while os.path.exists(hold_file):
            time.sleep(0.05)
    for s in conns:
        s.close()
    return 0


def req_call(db_id, key, reqid):
    body = struct.pack("<IIIIII", 0, db_id, FETCH_FUNC, 0, len(key), 0) + key
    length = raw.HEADER.size + len(body)
    padded = (length + 7) & ~7
    pkt = raw.header(padded, REQ_CALL, reqid) + body
    return pkt + b"\0" * (padded - length)


def no_read(path, db_id, key, requests):
    conn = raw.Conn(path, 30.0)
    # One fetch read in full: how big a reply is.
    conn.send(req_call(db_id, key, 1))
    got = conn.read_packet()
    if got is None or got[0][4] != REPLY_CALL:
        print("error first fetch: %r" % (got[0] if got else "closed"), flush=True)
        return 1
    reply_len = got[0][0]
    sock = conn.sock
    sock.setblocking(False)
    closed = False
    out = b"".join(req_call(db_id, key, 100 + i) for i in range(requests))
    deadline = time.monotonic() + 60
    off = 0
    poller = select.poll()
    poller.register(sock, select.POLLHUP | select.POLLRDHUP)
    while time.monotonic() < deadline:
        if off < len(out):
            try:
                off += sock.send(out[off:])
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        # The daemon's close shows as a hang-up; the replies it wrote before stay unread.
        if any(ev & (select.POLLHUP | select.POLLRDHUP) for _, ev in poller.poll(10)):
            closed = True
            break
    sent = off // len(req_call(db_id, key, 0))
    print("requested_reply_bytes=%d sent=%d reply_bytes=%d closed=%s" %
          (sent * reply_len, sent, reply_len, "yes" if closed else "no"), flush=True)
    sock.close()
    return 0


def trickle(path, bystanders, rounds):
    slow = raw.Conn(path, 30.0)
    pkt = raw.req_control(raw.CONTROL_GET_PNN, 4242)
    trickled = [0]
    stop = threading.Event()

    def drip():
        while trickled[0] < len(pkt) - 1 and not stop.is_set():
            slow.sock.sendall(pkt[trickled[0]:trickled[0] + 1])
            trickled[0] += 1
            stop.wait(1.0)

    t = threading.Thread(target=drip)
    t.start()
    while trickled[0] < 2:
        time.sleep(0.05)
    replies = 0
    errors = []
    others = [raw.Conn(path, 10.0) for _ in range(bystanders)]
    for _ in range(rounds):
        for c in others:
            try:
                res = raw.get_pnn(c)
            except (OSError, ValueError) as e:
                res = "error %s" % e
            if res.startswith("ok"):
                replies += 1
            else:
                errors.append(res)
    done_at = trickled[0]
    stop.set()
    t.join()
    slow.send(pkt[trickled[0]:])
    slow_res = "closed"
    try:
        while True:
            got = slow.read_packet()
            if got is None:
                break
            if got[0][4] == raw.REPLY_CONTROL and got[0][7] == 4242:
                slow_res = "ok %d" % raw.parse_reply_control(got[1])[0]
                break
    except (OSError, ValueError) as e:
        slow_res = "error %s" % e
    print("bystander_replies=%d trickled_when_done=%d packet_bytes=%d slow_reply=%s%s" %
          (replies, done_at, len(pkt), slow_res,
           "" if not errors else " errors=%s" % errors[:3]), flush=True)
    return 0


def main(argv):
    args, opts, i = [], {}, 1
    while i < len(argv):
        if argv[i].startswith("--") and i + 1 < len(argv):
            opts[argv[i][2:]] = argv[i + 1]
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if not args:
        sys.stderr.write(__doc__)
        return 2
    cmd = args[0]
    if cmd == "many" and len(args) == 3:
        return many(args[1], int(args[2]), float(opts.get("deadline", 120)), opts.get("hold-file"))
    if cmd == "no-read" and len(args) == 4:
        return no_read(args[1], int(args[2], 0), args[3].encode(), int(opts.get("requests", 2000)))
    if cmd == "trickle" and len(args) == 2:
        return trickle(args[1], int(opts.get("bystanders", 5)), int(opts.get("rounds", 10)))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
