#!/usr/bin/env python3
"""The three flows of the hitless test and bench (tests/guest/hitless_test.sh,
scripts/bench/hitless), and their verdict.

  hitless_flows.py server ADDRESS
      on the Internet host: TCP echo on 7000 (the interactive session), a
      TCP stream of 64 bytes every 20 ms on 7001 (a download that only
      receives), and on UDP 7002 a stream of 50 packets/s to whoever sent
      "hello" (to the address the first hello came from, as a media server
      would: it does not follow a client that shows up elsewhere). Each
      connection and first hello is printed as "PROTO PORT PEER_IP PEER_PORT"
      (the source a NAT in between chose).
  hitless_flows.py client SERVER SECONDS OUT.json
      on the LAN client: the three flows for SECONDS; the arrival time of
      every echo, stream chunk and datagram (CLOCK_MONOTONIC), and any error.
  hitless_flows.py verdict OUT.json
      one line per flow: NAME survived|reset|stalled STALL_MS — survived
      when it raised no error and data still arrived in its last second;
      STALL_MS the longest gap between two arrivals (to the end for a flow
      that never resumed); "late" when the flow began after the event
      (the moment OUT.json.event appeared, seen by the client).
"""
import json
import socket
import sys
import threading
import time

ECHO, STREAM, UDP = 7000, 7001, 7002


def serve(address):
    def echo(conn):
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)
        except OSError:
            return

    def stream(conn):
        try:
            while True:
                conn.sendall(b"x" * 64)
                time.sleep(0.02)
        except OSError:
            return

    def listen(port, handler):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        s.listen(16)
        while True:
            conn, peer = s.accept()
            print(f"tcp {port} {peer[0]} {peer[1]}", flush=True)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((address, UDP))
        seen = set()
        while True:
            data, peer = s.recvfrom(512)
            key = data.split()[1] if len(data.split()) > 1 else b""
            if key in seen:
                continue  # a repeated hello from a client already served
            seen.add(key)
            print(f"udp {UDP} {peer[0]} {peer[1]}", flush=True)
            seconds = float(data.split()[2]) if len(data.split()) > 2 else 30

            def send(peer=peer, seconds=seconds):
                end = time.monotonic() + seconds
                n = 0
                while time.monotonic() < end:
                    try:
                        s.sendto(b"%d" % n, peer)
                    except OSError:
                        pass
                    n += 1
                    time.sleep(0.02)
            threading.Thread(target=send, daemon=True).start()

    for port, handler in ((ECHO, echo), (STREAM, stream)):
        threading.Thread(target=listen, args=(port, handler), daemon=True).start()
    threading.Thread(target=udp, daemon=True).start()
    while True:
        time.sleep(3600)


def client(server, seconds, out):
    seconds = float(seconds)
    end = time.monotonic() + seconds
    flows = {name: {"times": [], "error": None} for name in ("interactive", "download", "udp")}

    def interactive():
        f = flows["interactive"]
        try:
            s = socket.create_connection((server, ECHO), timeout=5)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(0.05)
            n, buf, next_send = 0, b"", 0.0
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_send:  # the client talks: a line every 50 ms
                    s.sendall(b"%d\n" % n)
                    n += 1
                    next_send = now + 0.05
                try:
                    data = s.recv(4096)
                    if not data:
                        raise ConnectionError("closed by the peer")
                    buf += data
                    while b"\n" in buf:
                        _, buf = buf.split(b"\n", 1)
                        f["times"].append(time.monotonic())
                except socket.timeout:
                    pass
        except OSError as e:
            f["error"] = type(e).__name__ + ": " + str(e)

    def download():
        f = flows["download"]
        try:
            s = socket.create_connection((server, STREAM), timeout=5)
            s.settimeout(0.2)
            while time.monotonic() < end:
                try:
                    if not s.recv(65536):
                        raise ConnectionError("closed by the peer")
                    f["times"].append(time.monotonic())
                except socket.timeout:
                    pass
        except OSError as e:
            f["error"] = type(e).__name__ + ": " + str(e)

    def udp():
        f = flows["udp"]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        key = b"%d-%f" % (id(s), time.monotonic())
        hello = b"hello " + key + b" %f" % (seconds + 2)
        started = False
        while time.monotonic() < end:
            if not started:
                s.sendto(hello, (server, UDP))
            try:
                s.recvfrom(512)
                started = True
                f["times"].append(time.monotonic())
            except socket.timeout:
                pass
            except OSError as e:
                if f["error"] is None:
                    f["error"] = type(e).__name__ + ": " + str(e)

    threads = [threading.Thread(target=t, daemon=True) for t in (interactive, download, udp)]
    for t in threads:
        t.start()
    # OUT.ready once every flow has data: the event may come.
    while time.monotonic() < end and not all(f["times"] or f["error"] for f in flows.values()):
        time.sleep(0.05)
    open(out + ".ready", "w").close()
    # OUT.event appears when the event happens: its time, on this clock.
    while time.monotonic() < end and "event" not in flows:
        try:
            open(out + ".event").close()
            flows["event"] = time.monotonic()
        except OSError:
            time.sleep(0.02)
    for t in threads:
        t.join(seconds + 10)
    flows["end"] = end
    with open(out, "w") as fp:
        json.dump(flows, fp)


def verdict(path, event=None):
    flows = json.load(open(path))
    end = flows.pop("end")
    event = flows.pop("event", event)
    for name, f in flows.items():
        times = f["times"]
        if not times:
            print(f"{name} stalled -1 never-started")
            continue
        if event is not None and times[0] > float(event):
            print(f"{name} late -1 started-after-the-event")
            continue
        gaps = [b - a for a, b in zip(times, times[1:])] + [end - times[-1]]
        stall = max(gaps)
        if f["error"]:
            state = "reset"
        elif end - times[-1] > 1.0:
            state = "stalled"
        else:
            state = "survived"
        print(f"{name} {state} {int(stall * 1000)} {len(times)}" + (f" {f['error']}" if f["error"] else ""))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "server":
        serve(sys.argv[2])
    elif cmd == "client":
        client(*sys.argv[2:5])
    elif cmd == "verdict":
        verdict(*sys.argv[2:4])
    else:
        sys.exit(__doc__)
