#!/usr/bin/env python3
# A raw CTDB client socket for tests (stdlib only): sends well-formed and deliberately broken
# packets to a daemon's Unix socket and reports, one line, what the daemon did in return.
"""Usage: ctdb_raw_client.py SOCKET CASE [--hold]

Cases (each on a fresh connection unless noted):
  pnn               GET_PNN control; prints "ok PNN".
  unknown-control   a control with an opcode no daemon knows; then GET_PNN on the same
                    connection. Prints "reply status=S errmsg=M; then ok PNN".
  truncated         a REQ_CONTROL header announcing 72 bytes, only 20 sent.
  short-body        a complete 40-byte REQ_CONTROL frame: the body is too short to decode.
  oversized         a header announcing 0xfffffff0 bytes, then 64 bytes.
  zero-length       a length field of 0.
  tiny-length       a length field of 8 (less than the 32-byte header), then 8 bytes.
  bad-magic         a complete GET_PNN frame with a wrong magic.
  bad-version       a complete GET_PNN frame with protocol version 2.
  unknown-operation a complete frame with operation 0x77.
  garbage           4 KiB of seeded pseudo-random bytes.
  disconnect-mid    half of a GET_PNN frame, then close.
  disconnect-before-reply  200 GET_PID controls, then close without reading a reply.
  bystander         one connection kept open; each stdin line "pnn" sends GET_PNN on it and
                    prints "ok PNN" or "error WHAT" (flushed), until stdin ends.

For the abuse cases the output is the daemon's reaction within --wait seconds (default 2):
"closed" (the daemon closed the connection), "open" (no reply, connection kept),
"reply status=S ..." (a control reply), or "packet op=N" (anything else).
With --hold the connection stays open after that until stdin reaches end of file, so a test
can check the daemon while the broken client is still connected.
Exit status: 0 when the case ran, 2 when the socket could not be used at all.
"""

import random
import socket
import struct
import sys

MAGIC = 0x43544442
VERSION = 1
CURRENT_NODE = 0xF0000001
REQ_CONTROL = 7
REPLY_CONTROL = 8
CONTROL_GET_PID = 30
CONTROL_GET_PNN = 35
UNKNOWN_CONTROL = 0x7FFF0001
HEADER = struct.Struct("<IIIIIIII")  # length magic version generation operation dest src reqid


def header(length, operation, reqid, magic=MAGIC, version=VERSION):
    return HEADER.pack(length, magic, version, 0, operation, CURRENT_NODE, 0, reqid)


def req_control(opcode, reqid, data=b"", magic=MAGIC, version=VERSION):
    """A REQ_CONTROL as Samba's client library frames it: padded to 8 bytes."""
    body = struct.pack("<IIQIII", opcode, 0, 0, 0, 0, len(data)) + data
    length = HEADER.size + len(body)
    padded = (length + 7) & ~7
    pkt = header(padded, REQ_CONTROL, reqid, magic, version) + body
    return pkt + b"\0" * (padded - length)


class Conn:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.reqid = 100

    def next_reqid(self):
        self.reqid += 1
        return self.reqid

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n):
        """Reads until n bytes are buffered; returns False when the peer closed."""
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read_packet(self):
        """One packet as (header tuple, whole bytes); None on close; raises socket.timeout."""
        if not self._fill(4):
            return None
        (length,) = struct.unpack_from("<I", self.buf)
        if length < HEADER.size:
            raise ValueError("daemon sent a packet of length %d" % length)
        if not self._fill(length):
            return None
        pkt, self.buf = self.buf[:length], self.buf[length:]
        return HEADER.unpack_from(pkt), pkt

    def reaction(self, wait):
        """What the daemon does within `wait` seconds: closed / open / reply / packet."""
        self.sock.settimeout(wait)
        try:
            got = self.read_packet()
        except socket.timeout:
            return "open"
        except ConnectionResetError:
            return "closed"
        if got is None:
            return "closed"
        return describe(*got)

    def control(self, opcode, data=b""):
        """Sends one control and waits for its reply: (status, data, errmsg) or None on close."""
        reqid = self.next_reqid()
        self.send(req_control(opcode, reqid, data))
        while True:
            got = self.read_packet()
            if got is None:
                return None
            hdr, pkt = got
            if hdr[4] == REPLY_CONTROL and hdr[7] == reqid:
                return parse_reply_control(pkt)


def parse_reply_control(pkt):
    if len(pkt) < HEADER.size + 12:
        raise ValueError("short REPLY_CONTROL (%d bytes)" % len(pkt))
    status, dlen, elen = struct.unpack_from("<iII", pkt, HEADER.size)
    off = HEADER.size + 12
    if off + dlen + elen > len(pkt):
        raise ValueError("REPLY_CONTROL sizes %d+%d exceed the packet" % (dlen, elen))
    data = pkt[off:off + dlen]
    err = pkt[off + dlen:off + dlen + elen].rstrip(b"\0").decode("utf-8", "replace")
    return status, data, err


def describe(hdr, pkt):
    if hdr[4] == REPLY_CONTROL:
        status, data, err = parse_reply_control(pkt)
        return "reply status=%d datalen=%d errmsg=%r" % (status, len(data), err)
    return "packet op=%d length=%d" % (hdr[4], hdr[0])


def get_pnn(conn):
    rep = conn.control(CONTROL_GET_PNN)
    if rep is None:
        return "error closed"
    status, _, err = rep
    # GET_PNN answers in the status field (the stock daemon does so).
    return "ok %d" % status if status >= 0 else "error status=%d %s" % (status, err)


def abuse_bytes(case):
    pnn = req_control(CONTROL_GET_PNN, 7)
    if case == "truncated":
        return header(72, REQ_CONTROL, 7)[:20]
    if case == "short-body":
        return header(40, REQ_CONTROL, 7) + struct.pack("<II", CONTROL_GET_PNN, 0)
    if case == "oversized":
        return header(0xFFFFFFF0, REQ_CONTROL, 7) + b"\xab" * 32
    if case == "zero-length":
        return header(0, REQ_CONTROL, 7)
    if case == "tiny-length":
        return struct.pack("<II", 8, MAGIC)
    if case == "bad-magic":
        return req_control(CONTROL_GET_PNN, 7, magic=0x12345678)
    if case == "bad-version":
        return req_control(CONTROL_GET_PNN, 7, version=2)
    if case == "unknown-operation":
        return header(40, 0x77, 7) + b"\0" * 8
    if case == "garbage":
        return random.Random(20240601).randbytes(4096)
    if case == "disconnect-mid":
        return pnn[: len(pnn) // 2]
    return None


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    hold = "--hold" in argv
    wait = 2.0
    for a in argv[1:]:
        if a.startswith("--wait="):
            wait = float(a.split("=", 1)[1])
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    path, case = args
    try:
        conn = Conn(path, 10.0)
    except OSError as e:
        print("error connect: %s" % e)
        return 2

    out = None
    if case == "pnn":
        out = get_pnn(conn)
    elif case == "unknown-control":
        rep = conn.control(UNKNOWN_CONTROL, b"\1\2\3\4")
        if rep is None:
            out = "closed"
        else:
            out = "reply status=%d errmsg=%r; then %s" % (rep[0], rep[2], get_pnn(conn))
    elif case == "bystander":
        for line in sys.stdin:
            if line.strip() == "pnn":
                try:
                    res = get_pnn(conn)
                except (OSError, ValueError) as e:
                    res = "error %s" % e
                print(res, flush=True)
        return 0
    elif case == "disconnect-before-reply":
        conn.send(b"".join(req_control(CONTROL_GET_PID, 1000 + i) for i in range(200)))
        conn.sock.close()
        print("sent 200 requests, closed")
        return 0
    else:
        data = abuse_bytes(case)
        if data is None:
            sys.stderr.write("unknown case %s\n" % case)
            return 2
        try:
            conn.send(data)
        except OSError as e:
            print("closed (send: %s)" % e.strerror)
            return 0
        if case == "disconnect-mid":
            conn.sock.close()
            print("sent half a packet, closed")
            return 0
        try:
            out = conn.reaction(wait)
        except ValueError as e:
            out = "bad reply: %s" % e
    print(out, flush=True)
    if hold:
        sys.stdin.read()
    conn.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
