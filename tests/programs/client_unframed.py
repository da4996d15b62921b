"""A chat client written the way the seeds write theirs: the name is sent first with no
newline, and every message is one send() with no framing at all — the receiver can only hope
that one send() arrives as one recv().

Used by lab's tests (tests/trace_programs.rs) and by lessons/07-your-program.

    python3 client_unframed.py PORT NAME MESSAGE...

It sends "USERNAME:NAME", then each MESSAGE, reading whatever the server sends after each,
and closes.
"""
import socket
import sys


def main():
    port, name, messages = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.send(f"USERNAME:{name}".encode())
    print(sock.recv(1024).decode("utf8", "replace"), end="")
    for m in messages:
        sock.send(m.encode())
        print(sock.recv(1024).decode("utf8", "replace"), end="")
    sock.close()


if __name__ == "__main__":
    main()
