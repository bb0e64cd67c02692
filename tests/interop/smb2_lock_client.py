#!/usr/bin/python3
# Byte-range locks between two SMB2 clients (impacket) of a Samba cluster: client A connects to
# ADDR_A, client B to ADDR_B (another node, or the same one), and both open one file. A lock
# taken by one must block conflicting locks, reads and writes of the other, and must stop doing
# so when its owner unlocks or its connection drops.
"""Usage: smb2_lock_client.py ADDR_A ADDR_B PORT USER PASSWORD SHARE

Prints one line per check: "PASS what" or "FAIL what: detail" (and "# note" lines).
A check that waits (for the lock state to reach the other node) polls until its deadline.
Exit status: 0 when every check passed, 1 otherwise, 2 when it could not connect.
"""

import socket
import struct
import sys
import time

from impacket import smb3, smb3structs
from impacket.nt_errors import STATUS_FILE_LOCK_CONFLICT, STATUS_LOCK_NOT_GRANTED
from impacket.smbconnection import SMBConnection, SessionError

OK = 0
SHARED = smb3structs.SMB2_LOCKFLAG_SHARED_LOCK | smb3structs.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
EXCLUSIVE = smb3structs.SMB2_LOCKFLAG_EXCLUSIVE_LOCK | smb3structs.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
UNLOCK = smb3structs.SMB2_LOCKFLAG_UNLOCK
NAMES = {OK: "OK", STATUS_FILE_LOCK_CONFLICT: "FILE_LOCK_CONFLICT",
         STATUS_LOCK_NOT_GRANTED: "LOCK_NOT_GRANTED"}
FILE = "cross_node_locks.dat"
WAIT = 10.0  # seconds a lock change may take to reach the other client's smbd


def name(status):
    return NAMES.get(status, "0x%08x" % status)


class Client:
    """One SMB2 session with the test file open for reading and writing."""

    def __init__(self, addr, port, user, password, share, create):
        self.conn = SMBConnection(addr, addr, sess_port=port)
        self.conn.login(user, password)
        self.tid = self.conn.connectTree(share)
        disposition = smb3structs.FILE_OVERWRITE_IF if create else smb3structs.FILE_OPEN
        self.fid = self.conn.createFile(
            self.tid, FILE,
            desiredAccess=smb3structs.FILE_READ_DATA | smb3structs.FILE_WRITE_DATA,
            creationDisposition=disposition)

    def _status(self, fn):
        try:
            fn()
            return OK
        except SessionError as e:
            return e.getErrorCode()
        except smb3.SessionError as e:
            return e.get_error_code()

    def write(self, offset, length):
        return self._status(
            lambda: self.conn.writeFile(self.tid, self.fid, b"w" * length, offset))

    def read(self, offset, length):
        return self._status(
            lambda: self.conn.readFile(self.tid, self.fid, offset, length))

    def lock(self, offset, length, flags):
        # impacket's SMB3.lock() joins the elements as text; the request is built here.
        smb = self.conn.getSMBServer()
        packet = smb.SMB_PACKET()
        packet["Command"] = smb3structs.SMB2_LOCK
        packet["TreeID"] = self.tid
        req = smb3structs.SMB2Lock()
        req["FileID"] = self.fid
        req["LockCount"] = 1
        req["LockSequence"] = 0
        req["Locks"] = struct.pack("<QQII", offset, length, flags, 0)
        packet["Data"] = req
        ans = smb.recvSMB(smb.sendSMB(packet))
        return ans["Status"]

    def drop(self):
        """The client vanishes: its TCP connection closes without a logoff or close."""
        sock = self.conn.getSMBServer().get_socket()
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class Checks:
    def __init__(self):
        self.failed = 0

    def expect(self, what, want, got):
        if got == want:
            print("PASS %s" % what, flush=True)
        else:
            self.failed += 1
            print("FAIL %s: expected %s, got %s" % (what, name(want), name(got)), flush=True)

    def eventually(self, what, want, op):
        """Polls op() until it returns want or WAIT seconds pass; reports how long it took."""
        start = time.monotonic()
        got = op()
        while got != want and time.monotonic() - start < WAIT:
            time.sleep(0.05)
            got = op()
        self.expect(what, want, got)
        if got == want:
            print("# %s after %.2f s" % (what, time.monotonic() - start), flush=True)


def main(argv):
    if len(argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    addr_a, addr_b, port, user, password, share = argv[1:]
    try:
        a = Client(addr_a, int(port), user, password, share, create=True)
        a.write(0, 4096)
        b = Client(addr_b, int(port), user, password, share, create=False)
    except Exception as e:  # connection or login failure: nothing was tested
        print("FAIL connect: %s" % e, flush=True)
        return 2
    c = Checks()

    # Shared (read) locks, taken in two steps as smbtorture's smb2.lock.rw-shared does. The
    # second is a plain store into the lock record that no record migration accompanies: only
    # brlock.tdb's sequence number tells the smbd processes that their cached lock lists of the
    # file are stale (4.17: on another node, up to SeqnumInterval later).
    c.expect("A takes a shared lock on bytes 0-99", OK, a.lock(0, 100, SHARED))
    c.expect("B writes bytes 200-299 (outside A's locks)", OK, b.write(200, 100))
    c.expect("A writes bytes 200-299 (outside its locks)", OK, a.write(200, 100))
    c.expect("A takes a shared lock on bytes 100-199", OK, a.lock(100, 100, SHARED))
    c.eventually("A's own write to bytes 100-199 conflicts with its shared lock",
                 STATUS_FILE_LOCK_CONFLICT, lambda: a.write(100, 100))
    c.eventually("B's write to bytes 100-199 conflicts with A's shared lock",
                 STATUS_FILE_LOCK_CONFLICT, lambda: b.write(100, 100))
    c.expect("B reads bytes 100-199 under A's shared lock", OK, b.read(100, 100))
    c.expect("B shares the lock on bytes 150-159", OK, b.lock(150, 10, SHARED))
    c.expect("B drops its shared lock", OK, b.lock(150, 10, UNLOCK))
    c.expect("B cannot lock bytes 0-9 exclusively", STATUS_LOCK_NOT_GRANTED,
             b.lock(0, 10, EXCLUSIVE))
    c.expect("A unlocks bytes 0-99", OK, a.lock(0, 100, UNLOCK))
    c.expect("A unlocks bytes 100-199", OK, a.lock(100, 100, UNLOCK))
    c.eventually("B writes bytes 0-199 once A unlocked", OK, lambda: b.write(0, 200))

    # An exclusive lock taken by A. B's writes are checked before B tries a lock itself: a lock
    # request moves the record to B's node, which refreshes B's cache anyway.
    c.expect("A locks bytes 0-99 exclusively", OK, a.lock(0, 100, EXCLUSIVE))
    c.eventually("B's write to bytes 0-99 conflicts with A's exclusive lock",
                 STATUS_FILE_LOCK_CONFLICT, lambda: b.write(0, 100))
    c.expect("B's read of bytes 0-99 conflicts", STATUS_FILE_LOCK_CONFLICT, b.read(0, 100))
    c.expect("B still writes bytes 200-299 (outside the lock)", OK, b.write(200, 100))
    c.expect("B cannot lock bytes 0-99 exclusively", STATUS_LOCK_NOT_GRANTED,
             b.lock(0, 100, EXCLUSIVE))
    c.expect("B cannot take a shared lock on bytes 50-59", STATUS_LOCK_NOT_GRANTED,
             b.lock(50, 10, SHARED))

    # A unlocks: B may write and lock the range, and now A is the one blocked.
    c.expect("A unlocks bytes 0-99", OK, a.lock(0, 100, UNLOCK))
    c.eventually("B writes bytes 0-99 once A unlocked", OK, lambda: b.write(0, 100))
    c.expect("B locks bytes 0-99 exclusively once A unlocked", OK, b.lock(0, 100, EXCLUSIVE))
    c.eventually("A's write to bytes 0-99 conflicts with B's lock",
                 STATUS_FILE_LOCK_CONFLICT, lambda: a.write(0, 100))
    c.expect("B unlocks bytes 0-99", OK, b.lock(0, 100, UNLOCK))
    c.eventually("A writes bytes 0-99 again after B unlocked", OK, lambda: a.write(0, 100))

    # A vanishes while holding locks: its smbd drops them.
    c.expect("A locks bytes 1000-1099 exclusively", OK, a.lock(1000, 100, EXCLUSIVE))
    c.expect("A takes a shared lock on bytes 300-399", OK, a.lock(300, 100, SHARED))
    c.eventually("B's write to bytes 300-399 conflicts", STATUS_FILE_LOCK_CONFLICT,
                 lambda: b.write(300, 100))
    c.expect("B cannot lock bytes 1000-1099 while A holds them",
             STATUS_LOCK_NOT_GRANTED, b.lock(1000, 100, EXCLUSIVE))
    a.drop()
    c.eventually("B locks bytes 1000-1099 once A disconnected", OK,
                 lambda: b.lock(1000, 100, EXCLUSIVE))
    c.eventually("B writes bytes 300-399 once A's shared lock went with A's connection", OK,
                 lambda: b.write(300, 100))
    c.expect("B unlocks bytes 1000-1099", OK, b.lock(1000, 100, UNLOCK))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
