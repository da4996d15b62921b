/* A thread blocks in accept() (no one connects); 20 ms later the main thread exits the whole
 * process. The accept() never returns: strace shows it `<unfinished ...>`, and so must the
 * trace, though it waited less than the 50 ms after which a call is shown as blocked.
 * (tests/trace_odd_programs.rs)
 *
 *   cc -pthread -o thread_ends_in_accept thread_ends_in_accept.c && ./thread_ends_in_accept */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void *blocked_accept(void *arg) {
    accept(*(int *)arg, NULL, NULL);
    return NULL;
}

int main(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 8)) {
        perror("listen");
        return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, blocked_accept, &l);
    struct timespec twenty_ms = {0, 20 * 1000 * 1000};
    nanosleep(&twenty_ms, NULL);
    exit(0);
}
