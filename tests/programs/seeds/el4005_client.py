# Seed 002's chat client ("the best chat in the universe"), as its report's listing writes it:
# it waits for the server's greeting, sends the bare nickname, asks again while the answer is
# "yes", then loops on select(): it reads the socket only after its user pressed Enter (the
# blocking input() in the "writable" branch). Only the address comes from the command line
# (the seed defaults to localhost:9998): el4005_client.py PORT. Run with python3 -u.
import select
import socket as sk
import sys

cSocket = sk.socket(sk.AF_INET, sk.SOCK_STREAM)
host = "127.0.0.1"
port = int(sys.argv[1])

# Connecting
cSocket.connect((host, port))

socket = [cSocket]

print('\nConnected to %s: %s \n' % (host, port))

# contacto inicial
saludo = cSocket.recv(1024).decode('utf8')
print(saludo)
Nick = input('\nIngresa tu nombre: ')
cSocket.send(Nick.encode('utf8'))

# verificamos que el nick no esté en uso
in_use = cSocket.recv(1024).decode('utf8')
while in_use == 'yes':
    Nick = input('Nombre en uso. Escoge otro nombre: ')
    cSocket.send(Nick.encode('utf8'))
    in_use = cSocket.recv(1024).decode('utf8')

while True:
    readable, writable, _ = select.select(socket, socket, [], 0)
    for actual in readable:
        msj_rcb = actual.recv(1024).decode('utf8')
        if not msj_rcb:
            # (The seed printed '' forever here; a test needs it to end.)
            print('[the server closed the connection]')
            sys.exit(0)
        print(msj_rcb)
    for actual in writable:
        message = input('<' + Nick + '>: ')
        if message == '':
            continue
        cSocket.send(message.encode('utf8'))
        if message == ':q':
            sys.exit(0)
