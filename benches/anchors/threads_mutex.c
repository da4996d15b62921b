/*
 * threads_mutex — the "course-style" anchor: the design of a student chat
 * written in a networking course (the C thread-per-client chat lab's lesson
 * 07-your-program traces), reduced to the line protocol of the benchmark.
 *
 *   ./threads_mutex PORT [MAX]        (MAX clients, default 10000)
 *
 * Design being taught against, kept on purpose:
 *   - one detached pthread per client, blocking sockets;
 *   - a global array of clients guarded by one mutex;
 *   - broadcast = lock the mutex, loop a blocking send() over every client,
 *     unlock.  One client that stops reading fills its socket buffers, its
 *     send() blocks while the mutex is held, and every other client stalls.
 *
 * Protocol: "Please enter your name:\n" on accept; the first line is the
 * name, answered "Hi NAME!! Welcome to the chat\n"; every later line goes to
 * all clients as "NAME: TEXT\n" ("NAME (you): TEXT\n" to the sender).
 *
 * Only deviation from the student's design: thread stacks are 256 KiB (not 8 MiB) so
 * that 10 000 threads fit comfortably in this machine's address-space limits,
 * and input is split on '\n' (the original broadcast whatever recv() returned).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 4096
#define NAME_LEN    64

typedef struct {
    int socket;
    char username[NAME_LEN];
} client_t;

static client_t **clients;             /* the global client array */
static int max_clients = 10000;
static pthread_mutex_t clients_mutex = PTHREAD_MUTEX_INITIALIZER;

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);      /* blocking */
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return;                             /* peer gone: ignore */
        p += k; n -= k;
    }
}

static int add_client(client_t *c)
{
    int ok = 0;
    pthread_mutex_lock(&clients_mutex);
    for (int i = 0; i < max_clients; i++)
        if (!clients[i]) { clients[i] = c; ok = 1; break; }
    pthread_mutex_unlock(&clients_mutex);
    return ok;
}

static void remove_client(client_t *c)
{
    pthread_mutex_lock(&clients_mutex);
    for (int i = 0; i < max_clients; i++)
        if (clients[i] == c) { clients[i] = NULL; break; }
    pthread_mutex_unlock(&clients_mutex);
}

/* The course's broadcast: blocking send() to everyone while holding the lock. */
static void broadcast_message(client_t *from, const char *text, size_t len)
{
    char others[BUFFER_SIZE + NAME_LEN + 16], mine[BUFFER_SIZE + NAME_LEN + 16];
    int a = snprintf(others, sizeof others, "%s: %.*s\n", from->username, (int)len, text);
    int b = snprintf(mine, sizeof mine, "%s (you): %.*s\n", from->username, (int)len, text);
    pthread_mutex_lock(&clients_mutex);
    for (int i = 0; i < max_clients; i++) {
        client_t *c = clients[i];
        if (!c) continue;
        if (c == from) send_all(c->socket, mine, b);
        else send_all(c->socket, others, a);
    }
    pthread_mutex_unlock(&clients_mutex);
}

static void *handle_client(void *arg)
{
    client_t *client = arg;
    char buffer[BUFFER_SIZE];
    size_t have = 0;
    int registered = 0;

    const char *ask = "Please enter your name:\n";
    send_all(client->socket, ask, strlen(ask));

    for (;;) {
        ssize_t n = recv(client->socket, buffer + have, sizeof buffer - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += n;
        char *p = buffer, *nl;
        while ((nl = memchr(p, '\n', buffer + have - p))) {
            size_t len = nl - p;
            if (len && p[len - 1] == '\r') len--;
            if (!registered) {
                snprintf(client->username, NAME_LEN, "%.*s", (int)len, p);
                if (!add_client(client)) {
                    const char *full = "server full\n";
                    send_all(client->socket, full, strlen(full));
                    goto out;
                }
                registered = 1;
                char hi[NAME_LEN + 40];
                int k = snprintf(hi, sizeof hi, "Hi %s!! Welcome to the chat\n", client->username);
                send_all(client->socket, hi, k);
            } else {
                broadcast_message(client, p, len);
            }
            p = nl + 1;
        }
        have = buffer + have - p;                      /* keep the partial line */
        memmove(buffer, p, have);
        if (have == sizeof buffer) have = 0;           /* over-long line: discard */
    }
out:
    if (registered) remove_client(client);
    close(client->socket);
    free(client);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s PORT [MAX]\n", argv[0]); return 2; }
    if (argc > 2) max_clients = atoi(argv[2]);
    clients = calloc(max_clients, sizeof *clients);
    signal(SIGPIPE, SIG_IGN);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    int server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])),
                                .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(server, SOMAXCONN) < 0) {
        perror("bind/listen"); return 1;
    }
    fprintf(stderr, "threads_mutex: listening on %s, max %d clients\n", argv[1], max_clients);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    for (;;) {
        int fd = accept(server, NULL, NULL);                /* blocking */
        if (fd < 0) { if (errno == EMFILE || errno == ENFILE) usleep(10000); continue; }
        client_t *c = calloc(1, sizeof *c);
        c->socket = fd;
        pthread_t tid;
        if (pthread_create(&tid, &attr, handle_client, c) != 0) { close(fd); free(c); }
    }
}
