"""A chat server written the way seed 002 writes it: one thread, select() over every socket,
the server greets first and asks for a nickname, each recv() taken as one whole message.

Used by lab's tests (tests/trace_programs.rs) and by lessons/07-your-program.

    python3 chat_select.py PORT [CLIENTS]

With CLIENTS, it serves that many clients, and exits once they have all left.
"""
import select
import socket
import sys

MSG_BUFFER = 1024


def main():
    port = int(sys.argv[1])
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else -1
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(10)
    sockets = [server]
    nicks = {}
    served = 0
    while limit < 0 or served < limit or len(sockets) > 1:
        readers, _, _ = select.select(sockets, [], [])
        for s in readers:
            if s is server:
                client, _ = server.accept()
                served += 1
                client.send(b"Welcome! Your nickname?\n")
                # The seed's design: a blocking recv() inside the select loop. Until this
                # client answers, no one else is served.
                nick = client.recv(MSG_BUFFER).decode("utf8", "replace").strip()
                nicks[client] = nick
                sockets.append(client)
                broadcast(sockets, server, f"{nick} joined\n".encode())
                continue
            data = s.recv(MSG_BUFFER)
            if not data:
                sockets.remove(s)
                nick = nicks.pop(s, "?")
                s.close()
                broadcast(sockets, server, f"{nick} left\n".encode())
                continue
            broadcast(sockets, server, f"{nicks[s]}: ".encode() + data)
    server.close()


def broadcast(sockets, server, data):
    for s in sockets:
        if s is not server:
            s.send(data)


if __name__ == "__main__":
    main()
