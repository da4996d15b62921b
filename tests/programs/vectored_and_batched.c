/* Data moved over one loopback TCP connection in the other ways a C program can: gathered
 * (writev/readv), batched (sendmmsg/recvmmsg), and straight from a file or a pipe inside the
 * kernel (sendfile, splice — each twice), then read with read().
 * (tests/trace_odd_programs.rs)
 *
 *   cc -o vectored_and_batched vectored_and_batched.c && ./vectored_and_batched */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void) {
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

    struct iovec out[2] = {{"hel", 3}, {"lo\n", 3}};
    if (writev(c, out, 2) != 6)
        return 2;
    char x[3], y[3];
    struct iovec in[2] = {{x, 3}, {y, 3}};
    if (readv(s, in, 2) != 6)
        return 3;

    struct iovec one = {"one\n", 4}, two = {"two\n", 4};
    struct mmsghdr msgs[2] = {{.msg_hdr = {.msg_iov = &one, .msg_iovlen = 1}},
                              {.msg_hdr = {.msg_iov = &two, .msg_iovlen = 1}}};
    if (sendmmsg(c, msgs, 2, 0) != 2)
        return 4;
    char r1[4], r2[4];
    struct iovec i1 = {r1, 4}, i2 = {r2, 4};
    struct mmsghdr got[2] = {{.msg_hdr = {.msg_iov = &i1, .msg_iovlen = 1}},
                             {.msg_hdr = {.msg_iov = &i2, .msg_iovlen = 1}}};
    if (recvmmsg(s, got, 2, MSG_WAITFORONE, NULL) < 1)
        return 5;

    FILE *f = tmpfile();
    fputs("from a file\n", f);
    fflush(f);
    int fd = fileno(f);
    for (int i = 0; i < 2; i++) {
        off_t off = 0;
        if (sendfile(c, fd, &off, 12) != 12)
            return 6;
    }
    int p[2];
    if (pipe(p))
        return 7;
    for (int i = 0; i < 2; i++) {
        write(p[1], "from a pipe\n", 12);
        if (splice(p[0], NULL, c, NULL, 12, 0) != 12)
            return 8;
    }
    /* The rest, up to the end of the stream. */
    shutdown(c, SHUT_WR);
    char rest[64];
    while (read(s, rest, sizeof rest) > 0) {
    }
    close(c);
    close(s);
    close(l);
    return 0;
}
