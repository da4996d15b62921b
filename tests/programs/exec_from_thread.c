/* A thread that is not the main one calls exec() while the main thread has just started a call
 * that blocks (accept() with no one connecting). exec() ends every other thread: the accept
 * never returns, and the exec'ing thread takes over the main thread's id, so no tracer is ever
 * told that the main thread ended. The new program then makes socket calls of its own and
 * exits with status 3. (tests/trace_odd_programs.rs: nothing after the exec may be lost.)
 *
 *   cc -pthread -o exec_from_thread exec_from_thread.c && ./exec_from_thread */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listener(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 8)) {
        perror("listen");
        return -1;
    }
    return l;
}

/* After the exec: one connection, 20 sends and their receipt, then exit status 3. */
static int after(void) {
    int l = listener();
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    getsockname(l, (struct sockaddr *)&a, &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        return 1;
    }
    int s = accept(l, NULL, NULL);
    char buf[8] = "ping\n";
    for (int i = 0; i < 20; i++) {
        send(c, buf, 5, 0);
        recv(s, buf, 5, MSG_WAITALL);
    }
    close(c);
    close(s);
    close(l);
    return 3;
}

static void *exec_it(void *arg) {
    /* 10 ms: the accept() has started, and has waited less than the 50 ms after which the
     * trace shows a call as blocked. */
    struct timespec ten_ms = {0, 10 * 1000 * 1000};
    nanosleep(&ten_ms, NULL);
    char *argv[] = {(char *)arg, "after", NULL};
    execv("/proc/self/exe", argv);
    perror("execv");
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "after") == 0)
        return after();
    int l = listener();
    pthread_t t;
    pthread_create(&t, NULL, exec_it, argv[0]);
    accept(l, NULL, NULL);
    return 1;
}
