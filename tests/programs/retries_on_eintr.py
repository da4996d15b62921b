"""A server and a client in one program whose reads and writes are retried on EINTR, as Python
does for every call (PEP 475): under `lab trace --eintr` its calls are interrupted and it still
gets its message. A C program that takes EINTR for an error shows its bug instead.

    python3 retries_on_eintr.py
"""
import socket, errno, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname())
s, _ = l.accept()
c.sendall(b"hola\n")
try:
    print("got", s.recv(100))
except InterruptedError:
    print("EINTR seen by the program")
