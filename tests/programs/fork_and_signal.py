"""A server whose accept() a signal interrupts (SIGALRM, with a handler: the kernel makes the
call again), and a forked child that connects to it: the two things a trace of someone else's
program must get right beside the calls themselves.

Used by lab's tests (tests/trace_programs.rs).

    python3 fork_and_signal.py PORT    (0: any free port)
"""
import os
import signal
import socket
import sys

port = int(sys.argv[1])
server = socket.socket()
server.bind(("127.0.0.1", port))
server.listen(1)
port = server.getsockname()[1]  # the kernel's choice, when told port 0
# The child connects only once the parent's accept() was interrupted (the handler tells it with
# SIGUSR1), and the timer is armed just before accept(): on a busy machine a timer armed at start
# could ring before accept() is reached, and then nothing would be interrupted.
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
child = os.fork()
if child == 0:
    signal.sigwait([signal.SIGUSR1])
    c = socket.create_connection(("127.0.0.1", port))
    c.send(b"hi")
    c.close()
    os._exit(0)
signal.signal(signal.SIGALRM, lambda *_: os.kill(child, signal.SIGUSR1))
signal.setitimer(signal.ITIMER_REAL, 0.2)
conn, _ = server.accept()
conn.recv(10)
conn.close()
os.waitpid(child, 0)
server.close()
