#!/usr/bin/env python3
"""Loopback TCP proxy that resets each connection after a random number of bytes.

    bench/cutproxy.py LISTEN_PORT TARGET_PORT MIN_BYTES MAX_BYTES

Listens on 127.0.0.1:LISTEN_PORT and forwards every accepted connection to
127.0.0.1:TARGET_PORT. For each connection it draws a limit uniformly in
[MIN_BYTES, MAX_BYTES]; once that many bytes have gone from the target to the
client, it closes both sides with SO_LINGER 0, so both see a TCP reset (RST).
Prints "proxy listening on PORT" once ready and one line per cut on stderr.
Only 127.0.0.1 is used, both for listening and for the target.

Bytes are moved with splice(2) through a pipe (no copy into Python) where the
platform has it, so the proxy costs little CPU next to the two sides it sits
between; otherwise with recv/sendall.
"""
import os
import random
import select
import socket
import struct
import sys
import threading

BUF = 256 * 1024
HAVE_SPLICE = hasattr(os, "splice")


def reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Pipe:
    """A kernel pipe to splice one direction through (1 MiB where allowed)."""

    def __init__(self):
        self.r, self.w = os.pipe()
        try:
            import fcntl
            fcntl.fcntl(self.w, 1031, 1 << 20)  # F_SETPIPE_SZ
        except (OSError, ImportError):
            pass

    def move(self, src, dst, want):
        """Moves up to `want` bytes that src has now to dst; 0 at end of stream."""
        try:
            n = os.splice(src.fileno(), self.w, want,
                          flags=os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK)
        except BlockingIOError:
            return -1
        left = n
        while left > 0:
            left -= os.splice(self.r, dst.fileno(), left, flags=os.SPLICE_F_MOVE)
        return n

    def close(self):
        os.close(self.r)
        os.close(self.w)


def copy(src, dst, want):
    data = src.recv(want)
    if data:
        dst.sendall(data)
    return len(data)


def handle(client, target_port, lo, hi):
    """One thread per connection, both directions in one select loop, so that the reset
    (close with SO_LINGER 0) happens at once and is not held back by a blocked read."""
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
    pipes = {client: Pipe(), server: Pipe()} if HAVE_SPLICE else None
    open_reads = {client, server}
    try:
        while open_reads:
            readable, _, _ = select.select(list(open_reads), [], [], 60)
            if not readable:
                break  # idle for a minute: give up on this connection
            for s in readable:
                want = BUF if s is client else min(BUF, limit - down)
                n = pipes[s].move(s, peer[s], want) if pipes else copy(s, peer[s], want)
                if n < 0:
                    continue
                if n == 0:
                    open_reads.discard(s)
                    try:
                        peer[s].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                if s is server:
                    down += n
                    if down >= limit:
                        sys.stderr.write("cut after %d bytes\n" % down)
                        sys.stderr.flush()
                        open_reads.clear()
                        break
    except OSError:
        pass
    reset(client)
    reset(server)
    if pipes:
        for p in pipes.values():
            p.close()


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
