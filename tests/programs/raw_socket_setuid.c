/* A ping-like program: opens a raw ICMP socket, which only root (or CAP_NET_RAW) may. Installed
 * set-user-ID root, anyone can run it — except under a tracer that makes exec ignore the bit:
 * then socket() fails with EPERM and the program exits 3. (tests/trace_odd_programs.rs)
 *
 *   cc -o raw_socket_setuid raw_socket_setuid.c && sudo chown root raw_socket_setuid &&
 *   sudo chmod u+s raw_socket_setuid && ./raw_socket_setuid */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (s < 0) {
        int why = errno;
        perror("socket(SOCK_RAW)");
        return why == EPERM ? 3 : 1;
    }
    close(s);
    return 0;
}
