/* Listens, then either waits in accept() until a signal ends it (no handler: SIGINT kills it),
 * or, with the argument `kill`, kills itself with SIGKILL, which no program can catch.
 * (tests/trace_odd_programs.rs)
 *
 *   cc -o waits_or_kills_itself waits_or_kills_itself.c && ./waits_or_kills_itself [kill] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 8)) {
        perror("listen");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "kill") == 0)
        kill(getpid(), SIGKILL);
    accept(l, NULL, NULL);
    return 0;
}
