#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Relays RTP datagrams from one UDP port on 127.0.0.1 to another and counts
packets and bytes (RTP header included) per payload type; prints the totals
when stopped with SIGTERM or SIGINT. Used for the FEC overhead measurement in
docs/rtp-payload.md:  rtp_tally.py LISTEN_PORT FORWARD_PORT"""
import collections
import signal
import socket
import sys

listen, forward = int(sys.argv[1]), int(sys.argv[2])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", listen))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
packets, octets = collections.Counter(), collections.Counter()


def report(*_):
    for pt in sorted(packets):
        print(f"pt {pt}: {packets[pt]} packets, {octets[pt]} bytes", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
signal.signal(signal.SIGINT, report)
while True:
    data = rx.recv(65536)
    if len(data) >= 12:
        pt = data[1] & 0x7F
        packets[pt] += 1
        octets[pt] += len(data)
    tx.sendto(data, ("127.0.0.1", forward))
