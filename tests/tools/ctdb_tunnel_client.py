#!/usr/bin/env python3
# Tunnel clients for tests (stdlib only): one client connection per node socket, driven through
# the steps 4.17's tunnel test client and Samba's tunnel users rely on. Prints one transcript
# line per observation; the calling test asserts the lines.
"""Usage: ctdb_tunnel_client.py SOCKET0 SOCKET1 SOCKET2

Socket i must be the client socket of the node with pnn i. Transcript lines:
  register pnn=P id=ID status=S          TUNNEL_REGISTER by a client of node P
  deregister pnn=P id=ID status=S        TUNNEL_DEREGISTER
  recv pnn=P from=SRC id=ID flags=F reqid=R data=D   a REQ_TUNNEL a client of node P received
  closed pnn=P                           the daemon closed that client's connection
  ping pnn=P ok=PNN                      the daemon still answers that client
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ctdb_raw_client import HEADER, MAGIC, REPLY_CONTROL, VERSION, Conn, parse_reply_control  # noqa: E402

REQ_CONTROL = 7
REQ_TUNNEL = 10
CONTROL_GET_PNN = 35
CONTROL_TUNNEL_REGISTER = 152
CONTROL_TUNNEL_DEREGISTER = 153
TUNNEL_TEST = 0xFFFFFFFF00000000
FLAG_REQUEST = 0x1
FLAG_REPLY = 0x2
FLAG_NOREPLY = 0x10
BROADCAST_ALL = 0xF0000002
CURRENT_NODE = 0xF0000001
WAIT = 10.0


def frame(operation, dest, reqid, body, minimum):
    length = max(HEADER.size + len(body), minimum)
    padded = (length + 7) & ~7
    hdr = HEADER.pack(padded, MAGIC, VERSION, 0, operation, dest, 0, reqid)
    return hdr + body + b"\0" * (padded - HEADER.size - len(body))


def control(conn, opcode, srvid=0, data=b"", dest=CURRENT_NODE):
    reqid = conn.next_reqid()
    body = struct.pack("<IIQIII", opcode, 0, srvid, 0, 0, len(data)) + data
    conn.send(frame(REQ_CONTROL, dest, reqid, body, 0))
    while True:
        got = conn.read_packet()
        if got is None:
            return None
        hdr, pkt = got
        if hdr[4] == REPLY_CONTROL and hdr[7] == reqid:
            return parse_reply_control(pkt)


def tunnel_packet(tunnel_id, flags, data, dest, reqid):
    body = struct.pack("<QII", tunnel_id, flags, len(data)) + data
    # 4.17's struct ctdb_req_tunnel_old ends in data[1]: never shorter than 49 bytes.
    return frame(REQ_TUNNEL, dest, reqid, body, HEADER.size + 17)


class Client:
    def __init__(self, pnn, path):
        self.pnn = pnn
        self.conn = Conn(path, WAIT)

    def register(self, tunnel_id, retry=False):
        """TUNNEL_REGISTER; with retry, again until it succeeds (or 10 s): for an id whose
        owner just closed its connection, which the daemon learns in its own time."""
        deadline = time.monotonic() + WAIT
        while True:
            rep = control(self.conn, CONTROL_TUNNEL_REGISTER, tunnel_id)
            if not retry or (rep and rep[0] == 0) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        print("register pnn=%d id=0x%x status=%s" % (self.pnn, tunnel_id, rep and rep[0]))

    def sync_with(self, pnn):
        """A control to node PNN and its reply: that node has handled every packet this
        client sent it before (one link, in order)."""
        control(self.conn, CONTROL_GET_PNN, dest=pnn)

    def deregister(self, tunnel_id):
        rep = control(self.conn, CONTROL_TUNNEL_DEREGISTER, tunnel_id)
        print("deregister pnn=%d id=0x%x status=%s" % (self.pnn, tunnel_id, rep and rep[0]))

    def send(self, tunnel_id, flags, data, dest, reqid):
        self.conn.send(tunnel_packet(tunnel_id, flags, data, dest, reqid))

    def recv(self):
        """Prints the next REQ_TUNNEL this client receives (other packets are skipped)."""
        self.conn.sock.settimeout(WAIT)
        try:
            while True:
                got = self.conn.read_packet()
                if got is None:
                    print("closed pnn=%d" % self.pnn)
                    return
                hdr, pkt = got
                if hdr[4] != REQ_TUNNEL:
                    continue
                tid, flags, dlen = struct.unpack_from("<QII", pkt, HEADER.size)
                data = pkt[HEADER.size + 16:HEADER.size + 16 + dlen].decode("ascii", "replace")
                print("recv pnn=%d from=%d id=0x%x flags=0x%x reqid=%d data=%s" %
                      (self.pnn, hdr[6], tid, flags, hdr[7], data))
                return
        except socket.timeout:
            print("nothing pnn=%d within %ds" % (self.pnn, WAIT))
        except ConnectionResetError:
            print("closed pnn=%d" % self.pnn)

    def ping(self):
        try:
            rep = control(self.conn, CONTROL_GET_PNN)
        except (ConnectionResetError, BrokenPipeError):
            rep = None
        print("ping pnn=%d ok=%s" % (self.pnn, "closed" if rep is None else rep[0]))


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    tid = TUNNEL_TEST | 7
    other = TUNNEL_TEST | 8
    c = [Client(i, argv[1 + i]) for i in range(3)]
    for cl in c:
        cl.register(tid)
    # One owner per node: a second client of node 0 is refused the same id.
    dup = Client(0, argv[1])
    dup.register(tid)

    # A request from node 0 to node 1, answered with the same reqid.
    c[0].send(tid, FLAG_REQUEST, b"hello-1", 1, 4242)
    c[1].recv()
    c[1].send(tid, FLAG_REPLY, b"reply-0", 0, 4242)
    c[0].recv()
    # To this node itself.
    c[2].send(tid, FLAG_REQUEST, b"self-2", 2, 77)
    c[2].recv()
    # To every node (the sender's node included), without a reply.
    c[2].send(tid, FLAG_REQUEST | FLAG_NOREPLY, b"to-all", BROADCAST_ALL, 78)
    for cl in c:
        cl.recv()
    # On an id the client does not own: dropped; the next packet is the first to arrive.
    c[0].send(other, FLAG_REQUEST, b"not-mine", 1, 5)
    c[0].send(tid, FLAG_REQUEST, b"after-drop", 1, 6)
    c[1].recv()
    # Deregistered on node 1: packets for it are dropped there; a new owner then gets them.
    c[1].deregister(tid)
    c[1].deregister(tid)
    c[0].send(tid, FLAG_REQUEST, b"to-nobody", 1, 7)
    c[0].sync_with(1)
    late = Client(1, argv[2])
    late.register(tid)
    c[0].send(tid, FLAG_REQUEST, b"to-late", 1, 8)
    late.recv()
    # A client that goes away gives its ids back.
    c[2].conn.sock.close()
    again = Client(2, argv[3])
    again.register(tid, retry=True)
    # A malformed tunnel packet (data length beyond the packet) closes only its sender.
    bad = Client(0, argv[1])
    bad.register(other)
    body = struct.pack("<QII", other, FLAG_REQUEST, 4096) + b"x" * 8
    bad.conn.send(frame(REQ_TUNNEL, 1, 9, body, 0))
    bad.recv()
    c[0].ping()
    dup.register(other, retry=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
