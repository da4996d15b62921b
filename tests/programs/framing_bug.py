"""One send() taken for one recv(): the framing bug of most student chats, in a few lines.

A server and a client in one program, over loopback: the client sends one message, the
server reads once and takes what it got for the whole message. On loopback that nearly always
works; with `lab trace --short-reads` (as on a real network, sometimes) the read returns a part,
and the program says so and exits 1.

    python3 framing_bug.py
"""
import socket
import sys

MESSAGE = b"HOLA, soy ana: un mensaje entero\n"

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
client = socket.create_connection(listener.getsockname())
server, _ = listener.accept()
client.sendall(MESSAGE)
got = server.recv(1024)  # the bug: one recv() taken for one whole message
if got != MESSAGE:
    print("the server got a part of the message: %r" % got)
    sys.exit(1)
print("the server got the whole message")
