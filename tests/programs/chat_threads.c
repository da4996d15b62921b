/* A chat server written the way seed 000 writes it: one thread per client, a global client
 * list under a mutex, the name sent first as "USERNAME:name" with no newline, and a broadcast
 * that holds the mutex across every blocking send() (one slow reader stalls everyone).
 *
 * Used by lab's tests (tests/trace_programs.rs) and by lessons/07-your-program: lab traces it
 * and compares each call with strace -f of the same scenario.
 *
 *   cc -pthread -o chat_threads chat_threads.c && ./chat_threads PORT [CLIENTS]
 *
 * With CLIENTS, it serves that many clients, waits for them to leave, and exits; without, it
 * serves forever. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 10
#define BUFFER_SIZE 1024

typedef struct {
    int socket;
    char username[32];
} client_t;

static client_t *clients[MAX_CLIENTS];
static pthread_mutex_t clients_mutex = PTHREAD_MUTEX_INITIALIZER;

static void add_client(client_t *c) {
    pthread_mutex_lock(&clients_mutex);
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (!clients[i]) {
            clients[i] = c;
            break;
        }
    }
    pthread_mutex_unlock(&clients_mutex);
}

static void remove_client(client_t *c) {
    pthread_mutex_lock(&clients_mutex);
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i] == c) clients[i] = NULL;
    }
    pthread_mutex_unlock(&clients_mutex);
}

/* The seed's broadcast: the lock is held across every send(). */
static void broadcast_message(const char *message, client_t *except) {
    pthread_mutex_lock(&clients_mutex);
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i] && clients[i] != except) {
            send(clients[i]->socket, message, strlen(message), 0);
        }
    }
    pthread_mutex_unlock(&clients_mutex);
}

static void *handle_client(void *arg) {
    client_t *client = arg;
    char buffer[BUFFER_SIZE + 1];
    char message[BUFFER_SIZE + 64];
    ssize_t n = recv(client->socket, buffer, BUFFER_SIZE, 0);
    if (n > 0) {
        buffer[n] = '\0';
        const char *name = strncmp(buffer, "USERNAME:", 9) == 0 ? buffer + 9 : buffer;
        snprintf(client->username, sizeof client->username, "%.31s", name);
        snprintf(message, sizeof message, "Hi %s!! Welcome\n", client->username);
        send(client->socket, message, strlen(message), 0);
        while ((n = recv(client->socket, buffer, BUFFER_SIZE, 0)) > 0) {
            buffer[n] = '\0';
            snprintf(message, sizeof message, "%s: %s\n", client->username, buffer);
            broadcast_message(message, NULL);
        }
        snprintf(message, sizeof message, "User %s has left the chat\n", client->username);
        remove_client(client);
        broadcast_message(message, client);
    } else {
        remove_client(client);
    }
    close(client->socket);
    free(client);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [CLIENTS]\n", argv[0]);
        return 2;
    }
    int limit = argc > 2 ? atoi(argv[2]) : -1;
    int server_socket = socket(AF_INET, SOCK_STREAM, 0);
    int opt = 1;
    setsockopt(server_socket, SOL_SOCKET, SO_REUSEADDR, &opt, sizeof opt);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(server_socket, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("bind");
        return 1;
    }
    listen(server_socket, MAX_CLIENTS);
    pthread_t threads[MAX_CLIENTS];
    int served = 0;
    while (limit < 0 || served < limit) {
        struct sockaddr_in client_addr;
        socklen_t len = sizeof client_addr;
        int client_socket = accept(server_socket, (struct sockaddr *)&client_addr, &len);
        if (client_socket < 0) continue;
        client_t *c = calloc(1, sizeof *c);
        c->socket = client_socket;
        add_client(c);
        pthread_create(&threads[served % MAX_CLIENTS], NULL, handle_client, c);
        served++;
    }
    for (int i = 0; i < served && i < MAX_CLIENTS; i++) pthread_join(threads[i], NULL);
    close(server_socket);
    return 0;
}
