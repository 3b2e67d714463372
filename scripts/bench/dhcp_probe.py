#!/usr/bin/env python3
"""One DHCP client that retries every 100 ms and says when it was served,
for scripts/bench/dhcp-pair's takeover measure (the same for pairgated and
Kea). Prints one line of JSON; times are wall-clock seconds (time.time()).

  dhcp_probe.py dora IFACE MAC TIMEOUT [FIRST-LAST]
      DISCOVER (broadcast flag set) until an OFFER, from FIRST-LAST only when
      given; then REQUEST (SELECTING) until an ACK or a NAK.
  dhcp_probe.py renew IFACE MAC ADDRESS SERVER TIMEOUT
      RENEWING: REQUEST with ciaddr ADDRESS unicast to SERVER (ADDRESS must
      be on IFACE), until an ACK or a NAK.
  dhcp_probe.py rebind IFACE MAC ADDRESS TIMEOUT
      REBINDING: the same, broadcast.
"""
import json
import os
import random
import select
import socket
import struct
import sys
import time

DISCOVER, OFFER, REQUEST, ACK, NAK = 1, 2, 3, 5, 6


def ip(a):
    return socket.inet_aton(a)


def message(kind, mac, xid, ciaddr="0.0.0.0", options=()):
    flags = 0x8000 if ciaddr == "0.0.0.0" else 0
    head = struct.pack("!BBBBIHH4s4s4s4s16s", 1, 1, 6, 0, xid, 0, flags, ip(ciaddr), ip("0.0.0.0"),
                       ip("0.0.0.0"), ip("0.0.0.0"), mac + bytes(10))
    opts = bytes([53, 1, kind, 61, 7, 1]) + mac + bytes([55, 4, 1, 3, 51, 54])
    for code, data in options:
        opts += bytes([code, len(data)]) + data
    return head + bytes(192) + b"\x63\x82\x53\x63" + opts + b"\xff"


def parse(data, xid):
    if len(data) < 240 or data[0] != 2 or struct.unpack("!I", data[4:8])[0] != xid:
        return None
    yiaddr = socket.inet_ntoa(data[16:20])
    opts, i = {}, 240
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        code, n = data[i], data[i + 1]
        opts[code] = data[i + 2:i + 2 + n]
        i += 2 + n
    kind = opts.get(53, b"\x00")[0]
    sid = socket.inet_ntoa(opts[54]) if len(opts.get(54, b"")) == 4 else None
    lease = struct.unpack("!I", opts[51])[0] if len(opts.get(51, b"")) == 4 else None
    return kind, yiaddr, sid, lease


def sock(iface, bind_addr="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, 25, iface.encode())  # SO_BINDTODEVICE
    s.bind((bind_addr, 68))
    return s


def exchange(s, build, to, want, deadline, accept=lambda r: True):
    """Sends build(xid) to `to` every 100 ms until a reply of a kind in
    `want` (that `accept` takes) or the deadline; returns (reply, time)."""
    xid = random.getrandbits(32)
    packet = build(xid)
    next_send = 0.0
    while time.time() < deadline:
        now = time.time()
        if now >= next_send:
            try:
                s.sendto(packet, (to, 67))
            except OSError:
                pass
            next_send = now + 0.1
        r, _, _ = select.select([s], [], [], max(0.0, min(next_send, deadline) - time.time()))
        if not r:
            continue
        data = s.recv(4096)
        got = parse(data, xid)
        if got and got[0] in want and accept(got):
            return got, time.time()
    return None, None


def in_range(spec):
    if not spec:
        return lambda r: True
    first, last = (struct.unpack("!I", ip(a))[0] for a in spec.split("-"))
    return lambda r: first <= struct.unpack("!I", ip(r[1]))[0] <= last


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    iface, mac = args[0], bytes.fromhex(args[1].replace(":", ""))
    start = time.time()
    out = {"sent_at": start}
    if cmd == "dora":
        deadline = start + float(args[2])
        s = sock(iface)
        offer, t = exchange(s, lambda x: message(DISCOVER, mac, x), "255.255.255.255", (OFFER,), deadline,
                            in_range(args[3] if len(args) > 3 else ""))
        if offer:
            out.update(offer_at=t, address=offer[1], server=offer[2])
            ack, t = exchange(s, lambda x: message(REQUEST, mac, x, options=((50, ip(offer[1])), (54, ip(offer[2])))),
                              "255.255.255.255", (ACK, NAK), deadline)
            if ack:
                out.update(reply="ack" if ack[0] == ACK else "nak", reply_at=t, lease=ack[3], reply_server=ack[2])
    else:
        address = args[2]
        to = args[3] if cmd == "renew" else "255.255.255.255"
        deadline = start + float(args[4] if cmd == "renew" else args[3])
        s = sock(iface, address if cmd == "renew" else "0.0.0.0")
        ack, t = exchange(s, lambda x: message(REQUEST, mac, x, ciaddr=address), to, (ACK, NAK), deadline)
        if ack:
            out.update(reply="ack" if ack[0] == ACK else "nak", reply_at=t, address=ack[1], lease=ack[3],
                       reply_server=ack[2])
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main()
