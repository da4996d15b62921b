# An echo server as a course writes one: accept one client, send back every byte it sends,
# until it closes. Usage: bulk_echo_server.py ADDRESS PORT [READY_FILE] [slow-close]
# With READY_FILE, it creates that file once it listens.
# With "slow-close", it closes 250 ms after the client's FIN: by then its kernel has
# acknowledged that FIN (a delayed ACK waits 200 ms at most), so the close is FIN / ACK /
# FIN / ACK every run. Closing at once, the ACK may ride on the server's own FIN instead
# (FIN / FIN,ACK / ACK): TCP too, but not the same picture run after run.
import socket
import sys
import time

slow_close = "slow-close" in sys.argv[3:]
ready = [a for a in sys.argv[3:] if a != "slow-close"]
# An IPv6 address (fd00::1) gets an IPv6 socket.
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(5)
if ready:
    open(ready[0], "w").close()
c, _ = s.accept()
while True:
    data = c.recv(4096)
    if not data:
        break
    c.sendall(data)
if slow_close:
    time.sleep(0.25)
c.close()
s.close()
