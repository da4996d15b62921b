/* Sets up an io_uring twice (the raw system call, as liburing does): operations submitted
 * through the ring (connect, send, recv…) are carried out by the kernel without a system call
 * for each, where no tracer can see them. Exits 0 if the kernel gave a ring, 2 if it refused
 * (kernel.io_uring_disabled). (tests/trace_odd_programs.rs)
 *
 *   cc -o io_uring_user io_uring_user.c && ./io_uring_user */
#include <linux/io_uring.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        int ring = syscall(SYS_io_uring_setup, 4, &p);
        if (ring < 0)
            ok = 0;
        else
            close(ring);
    }
    close(sock);
    return ok ? 0 : 2;
}
