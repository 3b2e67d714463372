#!/usr/bin/env python3
"""A stranger on the LAN for the peer channel tests.

  peer_stranger.py record IFACE SRC DST PORT SECONDS OUT
      Sniffs IFACE (AF_PACKET) for SECONDS (creating OUT.ready once it
      listens) and writes to OUT the bytes SRC
      sent to DST:PORT on the first TCP connection it saw open that carried data (in sequence
      order, retransmissions dropped): what a router's dialer said.
  peer_stranger.py replay SRC DST PORT FILE
      Connects from SRC to DST:PORT, sends FILE's bytes, reads until the
      other end closes (at most 3 s). Prints how many bytes came back.
  peer_stranger.py forge SRC DST PORT KIND
      KIND garbage: 64 random bytes; greeting: a well-formed greeting
      followed by a stream header and a frame of random bytes; http: an HTTP
      request; flood: 200 well-formed greetings on 200 connections.
"""
import os
import socket
import struct
import sys
import time


def record(iface, src, dst, port, seconds, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((iface, 0))
    s.settimeout(0.2)
    open(out + ".ready", "w").close()
    src_b, dst_b = socket.inet_aton(src), socket.inet_aton(dst)
    conn = None  # source port of the first connection
    isn = None
    segments = {}
    end = time.time() + seconds
    while time.time() < end:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6 or ip[12:16] != src_b or ip[16:20] != dst_b:
            continue
        total = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        flags = tcp[13]
        if dport != port:
            continue
        # A SYN starts the connection to record, unless the one before
        # already carried data (a dial refused before the peer listened
        # carries none).
        if flags & 0x02 and (conn is None or not segments):
            conn, isn = sport, seq
            continue
        if sport != conn:
            continue
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            segments.setdefault((seq - isn - 1) & 0xFFFFFFFF, payload)
    data = b""
    for offset in sorted(segments):
        if offset == len(data):
            data += segments[offset]
        elif offset < len(data) and offset + len(segments[offset]) > len(data):
            data += segments[offset][len(data) - offset:]
    with open(out, "wb") as f:
        f.write(data)
    print(len(data))


def connect(src, dst, port):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind((src, 0))
    c.settimeout(3)
    c.connect((dst, port))
    return c


def drain(c):
    got = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += len(b)
    except (socket.timeout, ConnectionResetError):
        pass
    return got


def replay(src, dst, port, path):
    data = open(path, "rb").read()
    c = connect(src, dst, port)
    try:
        c.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(drain(c))


def forge(src, dst, port, kind):
    if kind == "flood":
        conns = []
        for _ in range(200):
            try:
                c = connect(src, dst, port)
                c.sendall(b"PGPR\x01\x00\x00\x00" + os.urandom(32))
                conns.append(c)
            except OSError:
                pass
        time.sleep(1)
        for c in conns:
            c.close()
        print(len(conns))
        return
    c = connect(src, dst, port)
    if kind == "garbage":
        msg = os.urandom(64)
    elif kind == "http":
        msg = b"GET / HTTP/1.1\r\nHost: " + dst.encode() + b"\r\nAccept: */*\r\n\r\n"
    else:  # greeting, header, then a frame that cannot authenticate
        body = os.urandom(120)
        msg = b"PGPR\x01\x00\x00\x00" + os.urandom(32) + os.urandom(24) + struct.pack("!I", len(body)) + body
    try:
        c.sendall(msg)
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(drain(c))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "record":
        record(args[0], args[1], args[2], int(args[3]), float(args[4]), args[5])
    elif cmd == "replay":
        replay(args[0], args[1], int(args[2]), args[3])
    elif cmd == "forge":
        forge(args[0], args[1], int(args[2]), args[3])
    else:
        sys.exit(__doc__)
