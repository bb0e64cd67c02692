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
  tcp_service.py probe ADDR PORT OLDNAME SECONDS
      Tries a new connection every few milliseconds, each after a fresh ARP lookup, until a
      server other than OLDNAME answers; prints "accepted TIME NAME" (TIME: seconds since the
      epoch) or "timeout" after SECONDS.
"""

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


def probe(addr, port, oldname, seconds):
    end = time.time() + seconds
    while time.time() < end:
        # Forget the old host's MAC so that each attempt asks who has the address now.
        subprocess.run(["ip", "neigh", "flush", "to", addr], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        try:
            s = socket.create_connection((addr, port), timeout=0.02)
            s.settimeout(0.5)
            name = s.recv(64).decode().strip()
            s.close()
            if name and name != oldname:
                print("accepted %.6f %s" % (time.time(), name), flush=True)
                return 0
        except OSError:
            pass
        time.sleep(0.002)
    print("timeout", flush=True)
    return 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve" and len(argv) == 6:
        serve(argv[2], int(argv[3]), argv[4], argv[5])
        return 0
    if len(argv) == 5 and argv[1] == "client":
        client(argv[2], int(argv[3]), argv[4])
        return 0
    if len(argv) == 4 and argv[1] == "ask":
        return ask(argv[2], int(argv[3]))
    if len(argv) == 6 and argv[1] == "probe":
        return probe(argv[2], int(argv[3]), argv[4], float(argv[5]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
