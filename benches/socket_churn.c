/* N TCP sockets opened and closed one after the other, each listening on a port of its own
 * (a listener closes at once: no TIME-WAIT to fill the port range). Prints a line every
 * N/10 sockets and waits for a line on stdin, so that benches/trace_memory.sh can read the
 * tracer's memory at each step.
 *
 *   cc -O2 -o socket_churn socket_churn.c && ./socket_churn N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    char line[16];
    for (long i = 1; i <= n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0 || listen(s, 1)) {
            perror("socket/listen");
            return 1;
        }
        close(s);
        if (i % (n / 10 ? n / 10 : 1) == 0) {
            printf("%ld\n", i);
            fflush(stdout);
            if (!fgets(line, sizeof line, stdin))
                return 0;
        }
    }
    return 0;
}
