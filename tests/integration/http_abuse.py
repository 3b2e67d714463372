#!/usr/bin/env python3
"""Helpers of http_abuse_test.sh (run inside its namespaces).

observe SECONDS SOURCE LOCAL OUT
    Joins 224.0.0.18 on the interface of address LOCAL and records the kernel's receive time (SO_TIMESTAMPNS, CLOCK_REALTIME) of
    every VRRP advert from SOURCE for SECONDS, one float a line, into OUT.

abuse HOST PORT SECONDS OUT
    Abuses http://HOST:PORT/ for about SECONDS, all at once: 1,000
    connections held open; slowloris clients that trickle a header byte
    every 500 ms; requests with oversized heads; paths with `..`; and a burst
    of /metrics scrapes. Writes what it saw as JSON into OUT, with the
    window's start and end (CLOCK_REALTIME).

jitter ADVERTS INTERVAL_MS START END
    From observe's file: the advert intervals inside [START, END] as JSON
    {count, max_ms, p50_dev_ms, p99_dev_ms, max_dev_ms}, where dev is an
    interval's distance from INTERVAL_MS.
"""
import json
import resource
import select
import signal
import socket
import struct
import sys
import threading
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def observe(seconds, source, local, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    mreq = struct.pack("4s4s", socket.inet_aton("224.0.0.18"), socket.inet_aton(local))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    end = time.monotonic() + seconds
    times = []

    class Stop(Exception):
        pass

    def stop(*_):
        raise Stop()

    signal.signal(signal.SIGINT, stop)  # the end, before SECONDS: keep what was seen
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                continue
            data, anc, _, addr = s.recvmsg(2048, 64)
            if addr[0] != source:
                continue
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    times.append(sec + nsec / 1e9)
    except Stop:
        pass
    with open(out, "w") as f:
        f.write("".join(f"{t:.9f}\n" for t in times))


def jitter(path, interval_ms, start, end):
    times = [float(line) for line in open(path) if line.strip()]
    times = [t for t in times if start <= t <= end]
    gaps = [(b - a) * 1000 for a, b in zip(times, times[1:])]
    if not gaps:
        return {"count": len(times), "max_ms": None, "p50_dev_ms": None, "p99_dev_ms": None, "max_dev_ms": None}
    dev = sorted(abs(g - interval_ms) for g in gaps)

    def pick(q):
        return round(dev[min(len(dev) - 1, int(q * len(dev)))], 2)

    return {"count": len(times), "max_ms": round(max(gaps), 2), "p50_dev_ms": pick(0.5), "p99_dev_ms": pick(0.99),
            "max_dev_ms": round(dev[-1], 2)}


def connect(host, port, timeout=5):
    c = socket.create_connection((host, port), timeout=timeout)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def read_all(c, limit=1 << 20):
    got = b""
    try:
        while len(got) < limit:
            b = c.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    return got


def status_of(reply):
    try:
        return int(reply.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def hold_many(host, port, n, hold, seen):
    """n connections at once, held `hold` seconds, then each asks for /."""
    conns = []
    for _ in range(n):
        try:
            conns.append(connect(host, port))
        except OSError:
            seen["connect_failed"] += 1
    seen["opened"] = len(conns)
    time.sleep(hold)
    for c in conns:
        try:
            c.settimeout(0.5)
            c.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
    for c in conns:
        code = status_of(read_all(c))
        seen["status"][code] = seen["status"].get(code, 0) + 1
        c.close()


def slowloris(host, port, n, seconds, seen):
    """n clients that send one header byte every 500 ms; how long until cut."""
    conns = []
    for _ in range(n):
        try:
            c = connect(host, port)
            c.sendall(b"GET / HTTP/1.1\r\n")
            conns.append([c, time.monotonic(), None])
        except OSError:
            seen["connect_failed"] += 1
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(x[2] is None for x in conns):
        for x in conns:
            if x[2] is not None:
                continue
            try:
                x[0].sendall(b"X")
                x[0].setblocking(False)
                try:
                    got = x[0].recv(4096)
                    if status_of(got) == 503:
                        seen["refused"] += 1  # no slot free: refused at once, not cut
                        x[2] = -1.0
                    elif got == b"" or got:
                        x[2] = time.monotonic() - x[1]
                except BlockingIOError:
                    pass
                x[0].setblocking(True)
            except OSError:
                x[2] = time.monotonic() - x[1]
        time.sleep(0.5)
    cut = [x[2] for x in conns if x[2] is not None and x[2] >= 0]
    seen["clients"] = len(conns)
    seen["cut"] = len(cut)
    seen["left_open"] = sum(1 for x in conns if x[2] is None)
    seen["cut_after_s_max"] = round(max(cut), 2) if cut else None
    for x in conns:
        x[0].close()


def one(host, port, raw, patience=15):
    """One request; a 503 (every slot taken by the other abusers) is tried
    again every 100 ms for `patience` seconds, so that the request is
    answered for what it is."""
    end = time.monotonic() + patience
    while True:
        try:
            c = connect(host, port)
            try:
                c.sendall(raw)
            except OSError:
                pass  # the server may answer 431 and close before reading it all
            reply = read_all(c)
            c.close()
        except OSError:
            reply = b""
        if status_of(reply) != 503 or time.monotonic() >= end:
            return reply
        time.sleep(0.1)


def bad_requests(host, port, seen):
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
    many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(2000)) + b"\r\n"
    for i in range(25):
        for name, raw in (("oversized_header", big), ("many_headers", many), ("garbage", b"\x16\x03\x01 hello\r\n\r\n"),
                          ("body", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
                          ("method", b"DELETE /api/leases HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")):
            code = status_of(one(host, port, raw))
            seen[name][code] = seen[name].get(code, 0) + 1
    paths = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/api/../../etc/passwd", "/..%2f..%2fetc/passwd",
             "//etc/passwd", "/api/status/../../../etc/shadow", "/%2e%2e%5c%2e%2e%5cetc%5cpasswd", "/./metrics/..",
             "/" + "../" * 3000]
    for p in paths:
        reply = one(host, port, b"GET " + p.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        seen["dotdot"][p[:40]] = status_of(reply)
        if b"root:" in reply:
            seen["leaked"] += 1


def scrapes(host, port, n, seen):
    for _ in range(n):
        reply = one(host, port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        code = status_of(reply)
        seen[code] = seen.get(code, 0) + 1


def abuse(host, port, seconds, out):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    seen = {
        "hold": {"connect_failed": 0, "status": {}},
        "slowloris": {"connect_failed": 0, "refused": 0},
        "bad": {"oversized_header": {}, "many_headers": {}, "garbage": {}, "body": {}, "method": {}, "dotdot": {},
                "leaked": 0},
        "scrapes": {},
    }
    start = time.time()
    # The slowloris clients first, so that they hold the sessions; then the
    # rest all at once.
    threads = [
        threading.Thread(target=slowloris, args=(host, port, 64, seconds, seen["slowloris"])),
        threading.Thread(target=hold_many, args=(host, port, 1000, seconds / 2, seen["hold"])),
        threading.Thread(target=bad_requests, args=(host, port, seen["bad"])),
        threading.Thread(target=scrapes, args=(host, port, 200, seen["scrapes"])),
    ]
    for i, t in enumerate(threads):
        t.start()
        if i == 0:
            time.sleep(0.3)
    for t in threads:
        t.join()
    seen["start"] = start
    seen["end"] = time.time()
    with open(out, "w") as f:
        json.dump(seen, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "observe":
        observe(float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "abuse":
        abuse(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    elif cmd == "jitter":
        print(json.dumps(jitter(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))))
    else:
        sys.exit("usage: see the docstring")
