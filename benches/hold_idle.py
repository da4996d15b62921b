#!/usr/bin/env python3
"""Holds N idle chat clients on 127.0.0.1:PORT until stdin closes: each connects, sends its
name (u0, u1, …) at once, and then only reads what arrives. For benches/table.sh, which reads
the server's memory while they are held.  hold_idle.py N PORT"""
import selectors
import socket
import sys

n, port = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"u{i}\n".encode())
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    socks.append(s)
    # Keep the accept queue short and the greetings read.
    if i % 200 == 199:
        for key, _ in sel.select(timeout=0):
            try:
                key.fileobj.recv(65536)
            except OSError:
                pass
print(f"held {len(socks)}", flush=True)
sel.register(sys.stdin, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is sys.stdin:
            if not sys.stdin.readline():
                sys.exit(0)
            continue
        try:
            key.fileobj.recv(65536)
        except OSError:
            pass
