"""A forking server, as a course writes its first one: the parent accepts and forks, the child
serves the connection, and the parent closes its copy of the connection at once — a close that
sends no FIN, since the child still holds the socket.

Used by lab's tests (tests/trace_programs.rs).

    python3 forking_server.py PORT
"""
import os
import socket
import sys

port = int(sys.argv[1])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(1)
conn, _ = server.accept()
child = os.fork()
if child == 0:
    server.close()
    conn.sendall(conn.recv(10))
    conn.close()
    os._exit(0)
conn.close()
os.waitpid(child, 0)
server.close()
