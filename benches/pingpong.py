# TCP ping-pong: the round-trip time of one byte, as a program sees it (send, then recv).
#   pingpong.py serve PORT            answers every byte with one byte, for one client
#   pingpong.py ADDRESS PORT COUNT    prints "p50_us=… p99_us=… n=COUNT"
import socket
import sys
import time

if sys.argv[1] == "serve":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[2])))
    s.listen(1)
    c, _ = s.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while c.recv(1):
        c.sendall(b"y")
    sys.exit(0)

address, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for attempt in range(200):
    try:
        c = socket.create_connection((address, port))
        break
    except ConnectionRefusedError:
        time.sleep(0.02)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
times = []
for i in range(count):
    t = time.perf_counter_ns()
    c.sendall(b"x")
    c.recv(1)
    times.append((time.perf_counter_ns() - t) / 1000)
times.sort()
print("p50_us=%.1f p99_us=%.1f n=%d" % (times[len(times) // 2], times[len(times) * 99 // 100], count))
