# Sends N lines to an echo server, closes its sending side, and checks that every byte came
# back in order. Prints "echo ok BYTES" or "echo MISMATCH"; exits 0 only when all came back.
# With "one-by-one", each line waits for its echo before the next is sent (the same segments
# every run: one send, one segment, one echo).
# With READY_FILE, it first waits (at most 10 s) for the server to create that file.
# Usage: bulk_echo_client.py ADDRESS PORT LINES [one-by-one] [READY_FILE]
import socket
import sys
import time

import os

address, port, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
one_by_one = "one-by-one" in sys.argv[4:]
ready = [a for a in sys.argv[4:] if a != "one-by-one"]
if ready:
    deadline = time.monotonic() + 10
    while not os.path.exists(ready[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
# The server may not be listening yet (it starts on another host at the same time).
for attempt in range(100):
    try:
        s = socket.create_connection((address, port))
        break
    except ConnectionRefusedError:
        time.sleep(0.05)
data = b"".join(b"line %06d of the bulk echo\n" % i for i in range(lines))
got = bytearray()
if one_by_one:
    for i in range(lines):
        line = b"line %06d of the bulk echo\n" % i
        s.sendall(line)
        while len(got) < (i + 1) * len(line):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
else:
    s.sendall(data)
s.shutdown(socket.SHUT_WR)
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
s.close()
ok = bytes(got) == data
print("echo ok %d" % len(got) if ok else "echo MISMATCH %d of %d" % (len(got), len(data)))
sys.exit(0 if ok else 1)
