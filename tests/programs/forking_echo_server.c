/* A forking echo server, as a course writes its first one in C: the parent accepts and forks,
 * closes its copy of the connection at once and waits for the child; the child echoes until the
 * client closes, then closes too. After the parent's close only the child holds the connection:
 * what the kernel does to it from then on (the client's FIN: ESTAB -> CLOSE-WAIT) is the child's.
 *
 * Used by lab's tests (tests/trace_programs.rs).
 *
 *   cc -o forking_echo_server forking_echo_server.c && ./forking_echo_server PORT [hangup]
 *
 * It serves one client and exits. With "hangup", the child hangs up at once instead, its first
 * call on the connection its close() — once the parent has closed its copy (the parent tells it
 * with SIGUSR1) — and the parent, once the child is gone, accepts one more connection and closes
 * it before it exits (the test's way to say it has seen all it waited for). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [hangup]\n", argv[0]);
        return 2;
    }
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int opt = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &opt, sizeof opt);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("bind");
        return 1;
    }
    listen(server, 1);
    int conn = accept(server, NULL, NULL);
    if (conn < 0) {
        perror("accept");
        return 1;
    }
    int hangup = argc > 2 && strcmp(argv[2], "hangup") == 0;
    sigset_t told;
    sigemptyset(&told);
    sigaddset(&told, SIGUSR1);
    sigprocmask(SIG_BLOCK, &told, NULL);
    pid_t child = fork();
    if (child == 0) {
        close(server);
        int sig;
        if (hangup && sigwait(&told, &sig) == 0) {
            close(conn);
            _exit(0);
        }
        char buf[256];
        ssize_t n;
        while ((n = recv(conn, buf, sizeof buf, 0)) > 0) send(conn, buf, n, 0);
        close(conn);
        _exit(0);
    }
    close(conn);
    if (hangup) kill(child, SIGUSR1);
    waitpid(child, NULL, 0);
    if (hangup) close(accept(server, NULL, NULL));
    close(server);
    return 0;
}
