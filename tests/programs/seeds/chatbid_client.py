# Seed 004's chat client ("chatbid"), as its report's listing writes it: CONNECT:<name>, then
# MESSAGE:<text> per input, no newlines; each recv() split at its first ':' into type and
# content. Only the address comes from the command line (the seed hard-codes
# 127.0.0.1:59420): chatbid_client.py PORT [HOST]. Run with python3 -u.
import socket
import sys
import threading

HOST = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
PORT = int(sys.argv[1])
nombre_usuario = input("Nombre de usuario: ")


# Recibir mensajes del servidor
def recibir_mensajes():
    while True:
        try:
            mensaje = cliente.recv(1024).decode('utf-8')
            tipo, contenido = mensaje.split(':', 1)
            if tipo == "USER_LIST":
                print(f"Usuarios conectados: {contenido}")
            elif tipo == "MESSAGE":
                print(contenido)
            elif tipo == "DISCONNECT":
                print("Desconectado del servidor")
                cliente.close()
                break
        except Exception:
            print("Desconectado del servidor")
            cliente.close()
            break


# Conexión al servidor
cliente = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
cliente.connect((HOST, PORT))
cliente.send(f"CONNECT:{nombre_usuario}".encode('utf-8'))

# Iniciar hilo para recibir mensajes
hilo_recibir = threading.Thread(target=recibir_mensajes, daemon=True)
hilo_recibir.start()

while True:
    try:
        mensaje = input()
    except EOFError:
        break
    if mensaje.strip().lower() == "chao":
        cliente.send("MESSAGE:chao".encode('utf-8'))
        cliente.send("DISCONNECT:".encode('utf-8'))
        break
    cliente.send(f"MESSAGE:{mensaje}".encode('utf-8'))
hilo_recibir.join(timeout=2)
