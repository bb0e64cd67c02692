#!/usr/bin/env python3
# Capture proxy for CTDB client sockets: relays a Unix-socket client to a real daemon
# socket and records every packet in both directions (golden vectors, framing checks).
#
# Usage:
#   capture_proxy.py serve --listen PROXY.sock --upstream DAEMON.sock --out DIR
#       Runs until SIGTERM/SIGINT. Each client connection N leaves DIR/conn-N.c2d.bin and
#       DIR/conn-N.d2c.bin (the raw byte streams) and DIR/conn-N.log (one line per packet).
#   capture_proxy.py dump DIR [N]
#       Re-prints the packet logs (all connections, or connection N).
#   capture_proxy.py extract DIR N DIRECTION INDEX OUTFILE
#       Writes packet INDEX (0-based, in that direction: c2d or d2c) of connection N as hex
#       text, exactly the bytes the sender put on the wire for that packet (length-field
#       bytes plus any trailing padding before the next packet).
#   capture_proxy.py pick DIR N MATCH OUTBASE
#       Writes the first client packet of connection N that matches MATCH to OUTBASE.req.hex
#       and the daemon packet answering it (same reqid) to OUTBASE.reply.hex. MATCH is
#       control=OPCODE, call (REQ_CALL) or message=SRVID (or =0xTT* for any srvid whose top
#       byte is 0xTT); d2c-message=SRVID instead picks
#       the first message the daemon sent to the client (OUTBASE.hex, no reply). Append
#       @K to MATCH to take the K-th (0-based) match instead of the first.
#   capture_proxy.py from-strace STRACE_LOG FD DIR N
#       Turns `strace -xx -s 65536 -e trace=read,write -o STRACE_LOG` output of a client
#       process (e.g. ctdb_recoverd, whose socket to ctdbd is FD) into connection N of DIR,
#       so that dump and extract work on it: writes are c2d, reads are d2c.
#
# The log line of a packet shows the length field and how many bytes the sender actually
# put on the wire before the next header ("wire"), so padding beyond the length field is
# visible. Standard library only.

import os
import re
import signal
import socket
import struct
import sys
import threading
import time

MAGIC = 0x43544442
HEADER_SIZE = 32
PROTOCOL_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'include',
                          'ctdb', 'protocol.h')
OPERATIONS = {0: 'REQ_CALL', 1: 'REPLY_CALL', 2: 'REQ_DMASTER', 3: 'REPLY_DMASTER',
              4: 'REPLY_ERROR', 5: 'REQ_MESSAGE', 7: 'REQ_CONTROL', 8: 'REPLY_CONTROL',
              9: 'REQ_KEEPALIVE', 10: 'REQ_TUNNEL'}


def control_names():
    """Opcode -> name, read from our protocol.h so the two never disagree."""
    names = {}
    try:
        with open(PROTOCOL_H) as f:
            for m in re.finditer(r'\bCONTROL_([A-Z0-9_]+)\s*=\s*(\d+)', f.read()):
                names.setdefault(int(m.group(2)), m.group(1))
    except OSError:
        pass
    return names


def is_header_at(buf, off):
    if off + 12 > len(buf):
        return False
    _, magic, version = struct.unpack_from('<III', buf, off)
    return magic == MAGIC and version == 1


def split_stream(buf):
    """Splits a byte stream into packets: (offset, length_field, wire_bytes).

    wire_bytes runs from the packet's start to the next header (or stream end), so a sender
    that pads beyond its length field shows wire_bytes > length_field."""
    packets = []
    off = 0
    while off + 4 <= len(buf):
        (length,) = struct.unpack_from('<I', buf, off)
        if length < HEADER_SIZE or not is_header_at(buf, off):
            packets.append((off, length, len(buf) - off))  # garbage: report and stop
            break
        nxt = off + length
        while nxt < len(buf) and not is_header_at(buf, nxt):
            nxt += 1
        packets.append((off, length, min(nxt, len(buf)) - off))
        off = nxt
    return packets


def describe(buf, off, length, wire, names):
    fields = struct.unpack_from('<8I', buf, off) if off + HEADER_SIZE <= len(buf) else None
    if fields is None:
        return 'short packet len=%d' % length
    _, _, _, gen, op, dest, src, reqid = fields
    text = '%s len=%d wire=%d pad=%d gen=%d dest=0x%x src=0x%x reqid=%d' % (
        OPERATIONS.get(op, 'OP%d' % op), length, wire, wire - length, gen, dest, src, reqid)
    body = off + HEADER_SIZE
    if op == 7 and body + 28 <= len(buf):
        opcode, _, srvid, client_id, flags, dlen = struct.unpack_from('<IIQIII', buf, body)
        text += ' opcode=%d(%s) srvid=0x%x client_id=%d flags=0x%x datalen=%d' % (
            opcode, names.get(opcode, '?'), srvid, client_id, flags, dlen)
    elif op == 8 and body + 12 <= len(buf):
        status, dlen, elen = struct.unpack_from('<iII', buf, body)
        text += ' status=%d datalen=%d errlen=%d' % (status, dlen, elen)
        if elen:
            start = body + 12 + dlen
            text += ' err=%r' % bytes(buf[start:start + elen])
    elif op == 5 and body + 12 <= len(buf):
        srvid, dlen = struct.unpack_from('<QI', buf, body)
        text += ' srvid=0x%x datalen=%d' % (srvid, dlen)
    elif op == 0 and body + 24 <= len(buf):
        flags, db_id, callid, hop, klen, dlen = struct.unpack_from('<6I', buf, body)
        text += ' flags=0x%x db_id=0x%08x callid=0x%x hop=%d keylen=%d calldatalen=%d' % (
            flags, db_id, callid, hop, klen, dlen)
    elif op == 1 and body + 8 <= len(buf):
        status, dlen = struct.unpack_from('<iI', buf, body)
        text += ' status=%d datalen=%d' % (status, dlen)
    return text


class Connection:
    """One client: two relay threads, raw streams and write-chunk timestamps kept."""

    def __init__(self, num, client, upstream_path, outdir, names):
        self.num = num
        self.client = client
        self.outdir = outdir
        self.names = names
        self.daemon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.daemon.connect(upstream_path)
        self.streams = {'c2d': bytearray(), 'd2c': bytearray()}
        # (time, direction, offset) for every chunk received: orders packets across
        # directions for the merged log.
        self.chunks = []
        self.lock = threading.Lock()
        self.done = 0

    def start(self):
        for src, dst, name in ((self.client, self.daemon, 'c2d'),
                               (self.daemon, self.client, 'd2c')):
            threading.Thread(target=self.relay, args=(src, dst, name), daemon=True).start()

    def relay(self, src, dst, name):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.chunks.append((time.monotonic(), name, len(self.streams[name])))
                    self.streams[name] += data
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        with self.lock:
            self.done += 1
            finished = self.done == 2
        if finished:
            self.client.close()
            self.daemon.close()
            self.save()

    def save(self):
        base = os.path.join(self.outdir, 'conn-%d' % self.num)
        for name, data in self.streams.items():
            with open('%s.%s.bin' % (base, name), 'wb') as f:
                f.write(data)
        with open(base + '.log', 'w') as f:
            f.write(render_log(self.streams, self.chunks, self.names))


def render_log(streams, chunks, names):
    events = []
    for name, data in streams.items():
        starts = [c for c in chunks if c[1] == name]
        for i, (off, length, wire) in enumerate(split_stream(data)):
            t = next((c[0] for c in reversed(starts) if c[2] <= off), 0.0)
            events.append((t, name, off, i, length, wire))
    events.sort()
    lines = []
    for t, name, off, i, length, wire in events:
        arrow = 'C>D' if name == 'c2d' else 'D>C'
        lines.append('%s #%d %s\n' % (arrow, i, describe(streams[name], off, length, wire,
                                                         names)))
    return ''.join(lines)


def serve(listen, upstream, outdir):
    os.makedirs(outdir, exist_ok=True)
    if os.path.exists(listen):
        os.unlink(listen)
    names = control_names()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen)
    server.listen(16)

    def stop(*_):
        server.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    num = 0
    while True:
        client, _ = server.accept()
        num += 1
        try:
            Connection(num, client, upstream, outdir, names).start()
        except OSError as e:
            sys.stderr.write('connect to %s failed: %s\n' % (upstream, e))
            client.close()


def load_streams(outdir, num):
    base = os.path.join(outdir, 'conn-%d' % num)
    streams = {}
    for name in ('c2d', 'd2c'):
        with open('%s.%s.bin' % (base, name), 'rb') as f:
            streams[name] = f.read()
    return streams


def extract(outdir, num, direction, index, outfile):
    data = load_streams(outdir, num)[direction]
    off, _, wire = split_stream(data)[index]
    write_hex(outfile, data[off:off + wire])


def packet_matches(buf, off, match):
    op = struct.unpack_from('<I', buf, off + 16)[0]
    kind, _, value = match.partition('=')
    if kind == 'control':
        return op == 7 and struct.unpack_from('<I', buf, off + HEADER_SIZE)[0] == int(value, 0)
    if kind == 'call':
        return op == 0
    if kind in ('message', 'd2c-message'):
        srvid = struct.unpack_from('<Q', buf, off + HEADER_SIZE)[0]
        if value.endswith('*'):  # 0xce*: any srvid with that top byte
            return op == 5 and srvid >> 56 == int(value[:-1], 0)
        return op == 5 and srvid == int(value, 0)
    raise SystemExit('bad match %r' % match)


def write_hex(path, pkt):
    with open(path, 'w') as f:
        for i in range(0, len(pkt), 16):
            f.write(' '.join('%02x' % b for b in pkt[i:i + 16]) + '\n')


def pick(outdir, num, match, outbase):
    streams = load_streams(outdir, num)
    match, _, nth = match.partition('@')
    nth = int(nth or 0)
    direction = 'd2c' if match.startswith('d2c-') else 'c2d'
    data = streams[direction]
    found = [p for p in split_stream(data) if packet_matches(data, p[0], match)]
    if len(found) <= nth:
        raise SystemExit('connection %d: no packet %s@%d' % (num, match, nth))
    off, _, wire = found[nth]
    if direction == 'd2c':
        write_hex(outbase + '.hex', data[off:off + wire])
        return
    write_hex(outbase + '.req.hex', data[off:off + wire])
    reqid = struct.unpack_from('<I', data, off + 28)[0]
    replies = streams['d2c']
    for roff, _, rwire in split_stream(replies):
        rop, rreqid = struct.unpack_from('<I', replies, roff + 16)[0], struct.unpack_from(
            '<I', replies, roff + 28)[0]
        if rop in (1, 4, 8) and rreqid == reqid:
            write_hex(outbase + '.reply.hex', replies[roff:roff + rwire])
            return
    if struct.unpack_from('<I', data, off + 16)[0] != 5:
        raise SystemExit('connection %d: no reply to reqid %d' % (num, reqid))


def from_strace(log, fd, outdir, num):
    os.makedirs(outdir, exist_ok=True)
    pattern = re.compile(r'^(?:\d+\s+)?(read|write)\(%d, "((?:\\x[0-9a-f]{2})*)"' % fd)
    streams = {'c2d': bytearray(), 'd2c': bytearray()}
    with open(log) as f:
        for line in f:
            m = pattern.match(line)
            if m:
                data = bytes.fromhex(m.group(2).replace('\\x', ''))
                streams['c2d' if m.group(1) == 'write' else 'd2c'] += data
    base = os.path.join(outdir, 'conn-%d' % num)
    for name, data in streams.items():
        with open('%s.%s.bin' % (base, name), 'wb') as f:
            f.write(data)
    with open(base + '.log', 'w') as f:
        f.write(render_log(streams, [], control_names()))


def main(argv):
    if len(argv) >= 2 and argv[1] == 'serve':
        args = dict(zip(argv[2::2], argv[3::2]))
        serve(args['--listen'], args['--upstream'], args['--out'])
    elif len(argv) >= 3 and argv[1] == 'dump':
        nums = [int(argv[3])] if len(argv) > 3 else sorted(
            int(m.group(1)) for m in (re.match(r'conn-(\d+)\.log$', n)
                                      for n in os.listdir(argv[2])) if m)
        for n in nums:
            print('== connection %d' % n)
            sys.stdout.write(render_log(load_streams(argv[2], n), [], control_names()))
    elif len(argv) == 6 and argv[1] == 'pick':
        pick(argv[2], int(argv[3]), argv[4], argv[5])
    elif len(argv) == 6 and argv[1] == 'from-strace':
        from_strace(argv[2], int(argv[3]), argv[4], int(argv[5]))
    elif len(argv) == 7 and argv[1] == 'extract':
        extract(argv[2], int(argv[3]), argv[4], int(argv[5]), argv[6])
    else:
        sys.stderr.write('usage: see the comment at the top of %s\n' % argv[0])
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
