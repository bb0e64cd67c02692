#!/usr/bin/python3
# A TCP service on a node and a client of it, for the takeover tests in network namespaces.
"""Usage:
  tcp_service.py serve NAME PORT CTDB_SOCKET LOG
      Listens on 0.0.0.0:PORT. Every connection gets the line "NAME\\n", is registered with
      the node's ctdbd as smbd registers its clients (TCP_CLIENT: client -> server address),
      and then stays open until the client closes it. LOG gets one line per connection:
      "registered CLIENT -> SERVER status S".
  tcp_service.py client ADDR PORT OUT
      Connects to ADDR:PORT and appends to OUT "connected NAME TIME CLIENT_ADDR:CLIENT_PORT"
      (NAME: the line the server sent),
      then waits without sending anything and appends "reset" when the connection is reset,
      "closed" when it is closed, each with the time (seconds since the epoch).
  tcp_service.py ask ADDR PORT
      Connects, prints the server's line, closes. Exit 1 when it cannot connect in 2 s.
  tcp_service.py probe ADDR PORT OLDNAME SECONDS [LOG]
      Tries a new connection every few milliseconds, each after a fresh ARP lookup, until a
      server other than OLDNAME answers; prints "accepted TIME NAME" (TIME: seconds since the
      epoch) or "timeout" after SECONDS. With LOG, also writes there one line per attempt,
      "START END OUTCOME" (seconds since the epoch; START after the ARP flush, just before
      connect): OUTCOME is the name the server sent, or refused, timeout (no connection in
      20 ms), unreachable (no route to the host), noreply (connected, no name in 0.5 s),
      reset, or error:ERRNO.
"""

import errno
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ctdb_raw_client as raw  # noqa: E402

CONTROL_TCP_CLIENT = 44
SOCKADDR_SIZE = 28


def sock_addr(host, port):
    """ctdb_sock_addr for an IPv4 address: family (host order), port (network order), address."""
    b = struct.pack("<H", socket.AF_INET) + struct.pack(">H", port) + socket.inet_aton(host)
    return b + b"\0" * (SOCKADDR_SIZE - len(b))


def register(state, ctdb_socket, payload):
    """TCP_CLIENT on the node's daemon; reconnects once when the daemon was restarted."""
    for _ in range(2):
        try:
            if state.get("conn") is None:
                state["conn"] = raw.Conn(ctdb_socket, 10.0)
            rep = state["conn"].control(CONTROL_TCP_CLIENT, payload)
            if rep is not None:
                return rep[0]
        except (OSError, ValueError):
            pass
        state["conn"] = None
    return "no daemon"


def serve(name, port, ctdb_socket, log):
    state = {}
    lock = threading.Lock()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(16)
    held = []
    while True:
        s, peer = listener.accept()
        local = s.getsockname()
        # The greeting first: a client's wait does not include the registration.
        try:
            s.sendall((name + "\n").encode())
        except OSError:
            pass
        with lock:
            status = register(state, ctdb_socket,
                              sock_addr(peer[0], peer[1]) + sock_addr(local[0], local[1]))
        with open(log, "a") as f:
            f.write("registered %s:%d -> %s:%d status %s\n" %
                    (peer[0], peer[1], local[0], local[1], status))
        held.append(s)


def client(addr, port, out):
    s = socket.create_connection((addr, port), timeout=5)
    line = b""
    while not line.endswith(b"\n"):
        chunk = s.recv(64)
        if not chunk:
            break
        line += chunk
    me = s.getsockname()
    with open(out, "a") as f:
        f.write("connected %s %.3f %s:%d\n" % (line.decode().strip(), time.time(), me[0], me[1]))
    s.settimeout(None)
    try:
        data = s.recv(64)
        what = "closed" if not data else "data"
    except ConnectionResetError:
        what = "reset"
    except OSError as e:
        what = "error %s" % e.errno
    with open(out, "a") as f:
        f.write("%s %.3f\n" % (what, time.time()))


def ask(addr, port):
    try:
        s = socket.create_connection((addr, port), timeout=2)
        s.settimeout(2)
        print(s.recv(64).decode().strip())
        s.close()
        return 0
    except OSError as e:
        print("failed: %s" % e)
        return 1


def attempt(addr, port):
    """One connection: (the server's name or None, the outcome word for a probe log)."""
    try:
        s = socket.create_connection((addr, port), timeout=0.02)
    except socket.timeout:
        return None, "timeout"
    except ConnectionRefusedError:
        return None, "refused"
    except OSError as e:
        if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return None, "unreachable"
        return None, "error:%s" % errno.errorcode.get(e.errno, e.errno)
    try:
        s.settimeout(0.5)
        name = s.recv(64).decode().strip()
        return (name, name) if name else (None, "noreply")
    except socket.timeout:
        return None, "noreply"
    except ConnectionResetError:
        return None, "reset"
    except OSError as e:
        return None, "error:%s" % errno.errorcode.get(e.errno, e.errno)
    finally:
        s.close()


def probe(addr, port, oldname, seconds, log=None):
    end = time.time() + seconds
    lines = []
    try:
        while time.time() < end:
            # Forget the old host's MAC so that each attempt asks who has the address now.
            subprocess.run(["ip", "neigh", "flush", "to", addr], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            start = time.time()
            name, outcome = attempt(addr, port)
            now = time.time()
            if log is not None:
                lines.append("%.6f %.6f %s\n" % (start, now, outcome))
            if name and name != oldname:
                print("accepted %.6f %s" % (now, name), flush=True)
                return 0
            time.sleep(0.002)
        print("timeout", flush=True)
        return 1
    finally:
        # Written at the end: no file I/O between the attempts.
        if log is not None:
            with open(log, "a") as f:
                f.writelines(lines)


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve" and len(argv) == 6:
        serve(argv[2], int(argv[3]), argv[4], argv[5])
        return 0
    if len(argv) == 5 and argv[1] == "client":
        client(argv[2], int(argv[3]), argv[4])
        return 0
    if len(argv) == 4 and argv[1] == "ask":
        return ask(argv[2], int(argv[3]))
    if len(argv) in (6, 7) and argv[1] == "probe":
        return probe(argv[2], int(argv[3]), argv[4], float(argv[5]),
                     argv[6] if len(argv) == 7 else None)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
