/* Closes fd 77, which was never opened: close() fails with EBADF — a bug in a program (a
 * double close, a wrong variable) that a trace of every fd must show.
 * (tests/trace_odd_programs.rs)
 *
 *   cc -o close_never_open close_never_open.c && ./close_never_open */
#include <errno.h>
#include <unistd.h>

int main(void) {
    return close(77) == -1 && errno == EBADF ? 0 : 1;
}
