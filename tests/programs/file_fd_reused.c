/* A fd number that held a file holds a socket next: a file's fd is read and closed, and
 * socket() is given the same number; another file's fd is read, and dup2() puts a socket on
 * its number. Whatever a tracer remembers of a fd must go when the fd is given up, so that
 * the number's next socket is seen as one. (tests/trace_odd_programs.rs)
 *
 *   cc -o file_fd_reused file_fd_reused.c && ./file_fd_reused */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* A file's fd, read twice. */
static int read_file(const char *path) {
    char buf[64];
    int fd = open(path, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf) < 0 || read(fd, buf, sizeof buf) < 0)
        return -1;
    return fd;
}

/* A listener on 127.0.0.1, any port, on `fd`. */
static int listen_on(int fd) {
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    int file = read_file(argv[0]);
    if (file < 0 || close(file) != 0)
        return 1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s != file || listen_on(s) != 0)
        return 2;
    int other = read_file(argv[0]);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    if (other < 0 || t < 0 || dup2(t, other) != other || close(t) != 0 || listen_on(other) != 0)
        return 3;
    printf("%d %d\n", s, other);
    return 0;
}
