# An echo server as a course writes one: accept one client, send back every byte it sends,
# until it closes. Usage: bulk_echo_server.py ADDRESS PORT
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(5)
if len(sys.argv) > 3:
    open(sys.argv[3], "w").close()
c, _ = s.accept()
while True:
    data = c.recv(4096)
    if not data:
        break
    c.sendall(data)
c.close()
s.close()
