/* N loopback connections made and closed one after the other, each close on an established
 * connection (the client's side first, then the server's, by then in CLOSE-WAIT): what a
 * traced close() costs (benches/close_cost.sh).
 *
 *   cc -O2 -o close_many close_many.c && ./close_many N */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5001;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 16) || getsockname(l, (struct sockaddr *)&a, &len)) {
        perror("listen");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a)) {
            perror("connect");
            return 1;
        }
        int s = accept(l, NULL, NULL);
        close(c);
        close(s);
    }
    close(l);
    return 0;
}
