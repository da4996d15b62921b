# Seed 001's chat client ("chat de Granjerxs"), as its report's listing (Código 3) writes it:
# each recv() is one message, compared whole with == to know which question it is; each
# input() is one send(), no newline. Only the address comes from the command line (the seed
# hard-codes 127.0.0.1:5555): stardew_client.py PORT. Run with python3 -u.
import socket
import sys
import threading


def receive_messages(client_socket):
    while True:
        try:
            message = client_socket.recv(1024).decode("utf-8")
            print(message)
            if not message:
                break

            # Nombre ya ocupado
            if message == "[SERVER] Nombre ya en uso.":
                name = input("Ingresa tu nombre: ")
                client_socket.send(name.encode("utf-8"))

            if message == "[SERVER] Cuéntame, ¿qué artefactos tienes?":
                artifacts = input("Ingresa tus artefactos: ")
                client_socket.send(artifacts.encode("utf-8"))

            if message == "[SERVER] ¿Está Bien?":
                desition = input("Ingresa tus respuesta: ")
                client_socket.send(desition.encode("utf-8"))

            if message == "[SERVER] ¡OK!":
                while True:
                    message_client = input()
                    client_socket.send(message_client.encode("utf-8"))
                    if message_client.startswith(":q"):
                        break

        except Exception as e:
            print(f"[ERROR] {e}")
            break


def start_client():
    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.connect(("127.0.0.1", int(sys.argv[1])))

    # Inicia un hilo para recibir mensajes del servidor
    receive_thread = threading.Thread(target=receive_messages, args=(client_socket,), daemon=True)
    receive_thread.start()

    # Ingresar nombre de usuario
    name = input("Ingresa tu nombre: ")
    client_socket.send(name.encode("utf-8"))

    receive_messages(client_socket)


if __name__ == "__main__":
    start_client()
