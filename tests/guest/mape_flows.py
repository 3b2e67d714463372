#!/usr/bin/env python3
"""Flows for tests/guest/mape_test.sh.

  mape_flows.py server DIR            203.0.113.1: UDP 9997 and 9999, TCP 9998;
                                      one line "PROTO SADDR SPORT DPORT" per flow
                                      (UDP: per datagram) in DIR/seen
  mape_flows.py udp N DPORT           N UDP sockets at once, one datagram each
  mape_flows.py tcp N                 N TCP connections to 9998, all open at once
  mape_flows.py check SEEN PROTO DPORT SETS_JSON CE
                                      prints "flows sets_used outside wrong_address"
"""
import json
import selectors
import socket
import sys
import time

SERVER = "203.0.113.1"


def server(d):
    sel = selectors.DefaultSelector()
    out = open(d + "/seen", "a", buffering=1)
    for port in (9997, 9999):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        u.bind((SERVER, port))
        u.setblocking(False)
        sel.register(u, selectors.EVENT_READ, ("udp", port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((SERVER, 9998))
    t.listen(4096)
    t.setblocking(False)
    sel.register(t, selectors.EVENT_READ, ("tcp", 9998))
    open(d + "/ready", "w").close()
    held = []
    while True:
        for key, _ in sel.select():
            proto, port = key.data
            if proto == "udp":
                while True:
                    try:
                        _, a = key.fileobj.recvfrom(100)
                    except BlockingIOError:
                        break
                    out.write("udp %s %d %d\n" % (a[0], a[1], port))
            else:
                while True:
                    try:
                        c, a = t.accept()
                    except BlockingIOError:
                        break
                    held.append(c)  # open until the client closes
                    out.write("tcp %s %d %d\n" % (a[0], a[1], port))


def udp(n, dport):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", (SERVER, dport))
        socks.append(s)
        if len(socks) % 200 == 0:
            time.sleep(0.05)  # the receiver's queue, not the NAT, is the limit otherwise
    time.sleep(2)
    print(len(socks))


def tcp(n):
    socks, failed = [], 0
    for _ in range(n):
        try:
            socks.append(socket.create_connection((SERVER, 9998), timeout=10))
        except OSError:
            failed += 1
    time.sleep(2)  # all open at once
    print(len(socks), failed)


def check(seen, proto, dport, sets_json, ce):
    sets = json.loads(sets_json)
    used, outside, wrong, flows = set(), 0, 0, set()
    for line in open(seen):
        fields = line.split()
        if len(fields) != 4:
            continue  # being written
        p, addr, sport, port = fields
        if p != proto or int(port) != int(dport):
            continue
        sport = int(sport)
        flows.add((addr, sport))
        if addr != ce:
            wrong += 1
        hit = [i for i, (a, b) in enumerate(sets) if a <= sport <= b]
        if hit:
            used.add(hit[0])
        else:
            outside += 1
    print(len(flows), len(used), outside, wrong)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "server":
        server(sys.argv[2])
    elif cmd == "udp":
        udp(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "tcp":
        tcp(int(sys.argv[2]))
    elif cmd == "check":
        check(*sys.argv[2:7])
