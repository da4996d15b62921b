/* N 64-byte messages over one loopback TCP connection, each one send() and one recv(), in one
 * process: what a traced socket call costs (benches/trace_cost.sh).
 *
 *   cc -O2 -o send_loop send_loop.c && ./send_loop N */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) {
        perror("listen");
        return 1;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        return 1;
    }
    int s = accept(l, NULL, NULL);
    char buf[64] = "0123456789012345678901234567890123456789012345678901234567890\n";
    for (long i = 0; i < n; i++) {
        if (send(c, buf, sizeof buf, 0) != sizeof buf || recv(s, buf, sizeof buf, MSG_WAITALL) != sizeof buf) {
            perror("send/recv");
            return 1;
        }
    }
    close(c);
    close(s);
    close(l);
    return 0;
}
