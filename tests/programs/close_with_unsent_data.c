/* Ten connections, each closed by the client while its send queue is full (the server reads
 * nothing): the FIN waits behind the data, so the connection stays in FIN-WAIT-1 for as long
 * as the server does not read. Prints how long the ten close() calls took, in ms: a tracer
 * that waits for FIN-WAIT-1 to pass holds the program that long at each one.
 * (tests/trace_odd_programs.rs)
 *
 *   cc -o close_with_unsent_data close_with_unsent_data.c && ./close_with_unsent_data */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void) {
    int small = 4096;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 16) || getsockname(l, (struct sockaddr *)&a, &len)) {
        perror("listen");
        return 1;
    }
    double in_close = 0;
    static char chunk[65536];
    for (int i = 0; i < 10; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        if (connect(c, (struct sockaddr *)&a, sizeof a)) {
            perror("connect");
            return 1;
        }
        int s = accept(l, NULL, NULL);
        fcntl(c, F_SETFL, O_NONBLOCK);
        while (send(c, chunk, sizeof chunk, 0) > 0) {
        }
        double t = now_ms();
        close(c);
        in_close += now_ms() - t;
        close(s);
    }
    printf("%.1f\n", in_close);
    return 0;
}
