#!/usr/bin/env python3
"""Loopback TCP proxy that resets each connection after a random number of bytes.

    bench/cutproxy.py LISTEN_PORT TARGET_PORT MIN_BYTES MAX_BYTES

Listens on 127.0.0.1:LISTEN_PORT and forwards every accepted connection to
127.0.0.1:TARGET_PORT. For each connection it draws a limit uniformly in
[MIN_BYTES, MAX_BYTES]; once that many bytes have gone from the target to the
client, it closes both sides with SO_LINGER 0, so both see a TCP reset (RST).
Prints "proxy listening on PORT" once ready and one line per cut on stderr.
Only 127.0.0.1 is used, both for listening and for the target.
"""
import random
import select
import socket
import struct
import sys
import threading

BUF = 256 * 1024


def reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def handle(client, target_port, lo, hi):
    """One thread per connection, both directions in one select loop, so that the reset
    (close with SO_LINGER 0) happens at once and is not held back by a blocked recv."""
    try:
        server = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        reset(client)
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    limit = random.randint(lo, hi)
    down = 0
    peer = {client: server, server: client}
    open_reads = {client, server}
    try:
        while open_reads:
            readable, _, _ = select.select(list(open_reads), [], [], 60)
            if not readable:
                break  # idle for a minute: give up on this connection
            for s in readable:
                want = BUF if s is client else min(BUF, limit - down)
                data = s.recv(want)
                if not data:
                    open_reads.discard(s)
                    try:
                        peer[s].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                peer[s].sendall(data)
                if s is server:
                    down += len(data)
                    if down >= limit:
                        sys.stderr.write("cut after %d bytes\n" % down)
                        sys.stderr.flush()
                        open_reads.clear()
                        break
    except OSError:
        pass
    reset(client)
    reset(server)


def main():
    listen_port, target_port, lo, hi = (int(a) for a in sys.argv[1:5])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(64)
    print("proxy listening on %d" % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c, target_port, lo, hi), daemon=True).start()


if __name__ == "__main__":
    main()
