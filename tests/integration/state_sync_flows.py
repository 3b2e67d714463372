#!/usr/bin/env python3
"""Flows for state_sync_test.sh, run inside its namespaces.

  tcp-server PORT                  accept one connection; send 100 bytes every 50 ms
  tcp-client HOST PORT LOG         connect, read; LOG holds "bytes max_gap_s"
  udp-source PORT                  wait for one datagram, then send 50 per second back to its sender
  udp-sink HOST PORT LPORT LOG     send one datagram from LPORT, then only receive; LOG holds "packets max_gap_s"
"""
import socket
import sys
import time


def report(log, total, gap):
    with open(log + ".tmp", "w") as f:
        f.write(f"{total} {gap:.3f}\n")
    import os
    os.replace(log + ".tmp", log)


def main():
    mode = sys.argv[1]
    if mode == "tcp-server":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[2])))
        s.listen(1)
        c, _ = s.accept()
        while True:
            c.sendall(b"x" * 100)
            time.sleep(0.05)
    elif mode == "tcp-client":
        host, port, log = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        for attempt in range(50):
            try:
                c = socket.create_connection((host, port), timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("cannot connect")
        c.settimeout(None)
        total, gap, last = 0, 0.0, None
        while True:
            data = c.recv(65536)
            if not data:
                break
            now = time.monotonic()
            if last is not None:
                gap = max(gap, now - last)
            last = now
            total += len(data)
            report(log, total, gap)
    elif mode == "udp-source":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[2])))
        _, peer = s.recvfrom(2048)
        while True:
            s.sendto(b"y" * 64, peer)
            time.sleep(0.02)
    elif mode == "udp-sink":
        host, port, lport, log = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", lport))
        s.sendto(b"open", (host, port))
        total, gap, last = 0, 0.0, None
        while True:
            s.recvfrom(2048)
            now = time.monotonic()
            if last is not None:
                gap = max(gap, now - last)
            last = now
            total += 1
            report(log, total, gap)


if __name__ == "__main__":
    main()
