#!/usr/bin/python3
"""A network cable with a delay, for kernels without tc netem.

Creates two TAP devices, prints "ready" once they exist, and then copies each
Ethernet frame that arrives on one to the other DELAY_MS milliseconds later
(both directions, order kept). The caller moves the devices into the network
namespaces it wants to join (the file descriptors stay attached) and kills
this process to cut the cable.

usage: delay_line.py TAP_A TAP_B DELAY_MS
"""
import collections
import fcntl
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def main():
    name_a, name_b, delay_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
    delay = delay_ms / 1000.0
    a, b = open_tap(name_a), open_tap(name_b)
    peer = {a: b, b: a}
    # Frames in flight per destination, each with the time it is due.
    queued = {a: collections.deque(), b: collections.deque()}
    print("ready", flush=True)
    while True:
        now = time.monotonic()
        for dst, q in queued.items():
            while q and q[0][0] <= now:
                try:
                    os.write(dst, q.popleft()[1])
                except OSError:
                    pass  # the far end is down: the frame is lost, as on a cable
        due = [q[0][0] for q in queued.values() if q]
        timeout = max(0.0, min(due) - now) if due else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        for src in readable:
            while True:
                try:
                    frame = os.read(src, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                queued[peer[src]].append((time.monotonic() + delay, frame))


if __name__ == "__main__":
    main()
