# lab's messages: one per line, `id = text`. `{ $a1 }`, `{ $a2 }`… are filled in order
# with what the message is about (see the English file).
# A count chooses its words: `{ $a1 -> [one] { $a1 } packet *[other] { $a1 } packets }`, each
# variant on its own line (lab gives counts as numbers; see `Count` in src/i18n.rs).

wire-missed = the capture fell behind: the kernel dropped { $a1 ->
        [one] { $a1 } packet
       *[other] { $a1 } packets
    } here, not shown (nor in --pcap)
wire-summary = wire: { $a1 ->
        [one] { $a1 } segment
       *[other] { $a1 } segments
    } captured, not shown: { $a2 } (ACKs of data only; --wire all shows them), missed: { $a3 }
wire-summary-all = wire: { $a1 ->
        [one] { $a1 } segment captured, shown
       *[other] { $a1 } segments captured, all shown
    }, missed: { $a2 }
wire-summary-off = wire: { $a1 ->
        [one] { $a1 } segment captured, not shown (--wire off; --wire summary or all shows it)
       *[other] { $a1 } segments captured, not shown: all of them (--wire off; --wire summary or all shows them)
    }, missed: { $a2 }
on-the-wire = on the wire
netns-refused = no network of lab's own ({ $a1 } failed: { $a2 }). { $a3 } Running on the machine's network: the segments are not captured, and every arrow is inferred from the calls.
netns-max-user-ns = user.max_user_namespaces is 0: allow them with `sudo sysctl user.max_user_namespaces=15000`.
netns-unpriv-clone = kernel.unprivileged_userns_clone is 0: allow them with `sudo sysctl kernel.unprivileged_userns_clone=1`.
netns-app-armor = kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu): the namespace is made without its capabilities. Allow it with `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or give lab an AppArmor profile with `userns,`, or run it with sudo.
netns-threads = The process already had threads (a user namespace is refused to a multi-threaded process): a bug in lab, please report it.
netns-seccomp = No sysctl forbids it: a container's seccomp profile may (Docker: `--security-opt seccomp=unconfined`), or run lab with sudo.
col-number = #
col-time = time ms
col-who = who
col-call = call
col-result = result
col-state = state
col-kernel = kernel
col-call-result = call → result
step-next = next: { $a1 } { $a2 }  — Enter, c, q, ?{" "}
step-continue = c: continuing to the end without pausing
step-quit = q: quitting
step-ctrl-c = Ctrl+C: stopped at once (the kernel closes what was open)
step-keys = Enter or space: make this call · c: continue to the end without pausing · q: quit cleanly · ?: these keys · Ctrl+C: stop at once
step-unknown-key = that key does nothing here: ? lists the keys
lesson-stopped = lesson { $a1 }: stopped before line { $a2 } (q); { $a3 ->
        [one] { $a3 } check
       *[other] { $a3 } checks
    } so far, { $a4 } not met
step-no-terminal = (no terminal to wait on; going on)
wrote-file = wrote { $a1 }
diagram-inferred = inferred from the calls: no capture of the wire shows it
diagram-on-the-wire = a close's state seen on the wire (its FIN left, the ACK not back yet), not in the kernel's table
diagram-accepted = fd { $a1 }, accepted: { $a2 }
diagram-bytes = { $a1 } ({ $a2 ->
        [one] { $a2 } byte
       *[other] { $a2 } bytes
    })
diagram-inferred-arrow = (inferred)
page-summary = { $a1 ->
        [one] { $a1 } event
       *[other] { $a1 } events
    }; the kernel's table agreed { $a2 ->
        [one] { $a2 } time
       *[other] { $a2 } times
    }, disagreed { $a3 ->
        [one] { $a3 } time
       *[other] { $a3 } times
    }
page-checks = ; { $a1 ->
        [one] { $a1 } expectation
       *[other] { $a1 } expectations
    }, { $a2 } not met
page-first = {" "}(the first { $a1 } of { $a2 } are drawn)
lesson-all-met = lesson { $a1 }: every expectation met ({ $a2 ->
        [one] { $a2 } check
       *[other] { $a2 } checks
    })
lesson-title = lesson { $a1 }: { $a2 }
lesson-not-met = lesson { $a1 }: { $a2 } of { $a3 ->
        [one] { $a3 } expectation
       *[other] { $a3 } expectations
    } not met
check-ok = ok
check-fail = FAIL
check-totals = { $a1 } passed, { $a2 } failed
check-skip = skip
check-skipped = , { $a1 } not run here
check-counts = ({ $a1 ->
        [one] { $a1 } check
       *[other] { $a1 } checks
    }, { $a2 } ms)
list-topic = topic
list-lesson = lesson
list-from = from
lang-name = { $a1 ->
    [en] English
    [es] Spanish
    [pt] Portuguese
   *[other] { $a1 }
}
lessons-built-in = lab's lessons
check-untranslated = {"     "}not in { $a1 }: { $a2 } (shown in { $a3 })
check-untranslated-all = {"     "}not in { $a1 } (shown in { $a2 })
list-title = title
list-question = question
server-listening = lab server: listening on { $a1 } ({ $a2 })
    {"            "}up to { $a3 ->
        [one] { $a3 } client
       *[other] { $a3 } clients
    }, fd limit { $a4 }; Ctrl+C to stop
server-stopped = lab server: stopped
model-threads = threads: one per client
model-poll = poll: one thread
model-epoll = epoll: one thread, the kernel keeps the list of fds
trace-attached = attached to process { $a1 }: Ctrl+C detaches, and it goes on as before
trace-children = process { $a1 } has children, started before lab attached and not traced: if it is a shell or a launcher, the sockets are theirs: { $a2 }
trace-detached = detached from process { $a1 }: it goes on untraced
trace-ended = the program ended with status { $a1 }
trace-killed = the program was killed by { $a1 }
trace-privileges-filter = { $a1 } is { $a2 }: under lab trace it runs WITHOUT those rights (lab's seccomp filter sets no_new_privs, and exec then ignores them), so a call that needs them fails (EPERM). To trace it with them: start it yourself and `sudo lab trace -p PID`, or `sudo lab trace --no-filter -- PROGRAM`
trace-privileges-ptrace = { $a1 } is { $a2 }: traced by a process without CAP_SYS_PTRACE, exec ignores them and it runs WITHOUT those rights, so a call that needs them fails (EPERM). To trace it with them: `sudo lab trace -p PID`
trace-unseen-sendfile = sendfile() copies a file into the socket inside the kernel: the trace shows how many bytes it sent, not what they were
trace-unseen-splice = splice() moves data between a pipe and the socket inside the kernel: the trace shows how many bytes, not what they were
trace-unseen-io-uring = this program sets up an io_uring: what it submits through the ring (connect, accept, send, recv…) the kernel carries out without a system call for each, and no tracer sees it — the trace shows only the calls it makes directly
trace-signal = --- { $a1 } --- delivered to the program: its default action
trace-signal-ignored = --- { $a1 } --- ignored by the program (SIG_IGN): nothing happens
trace-signal-caught = --- { $a1 } --- delivered to the program's handler
trace32-bit = a 32-bit system call (int 0x80): not supported; its calls are not shown
trace-blind = { $a1 }: lab cannot look at this process's fds, so its socket calls are shown unchecked (?), and calls that may be on a file (read, write, close, dup, fcntl, poll, epoll…) only with --all-fds
no-lessons-folder = cannot read the lessons folder { $a1 } ({ $a2 }): check the path given with --lessons or LAB_LESSONS
no-such-lesson = no lesson named '{ $a1 }' in { $a2 } (there are: { $a3 })
did-you-mean = no lesson named '{ $a1 }' in { $a2 }: did you mean '{ $a3 }'?
peer-closed-relay = lab: the peer closed its side (recv returned 0); Ctrl+D closes ours
detail-accepted = { $a1 } from { $a2 }
detail-from = from { $a1 }
gone = gone
detail-eof-own = EOF: this side was shut down for reading
detail-eof-peer = EOF: the peer closed its side
detail-blocked = … blocked, waiting
detail-unfinished = … unfinished: the thread ended before it returned
detail-interrupted = ? { $a1 }: interrupted by a signal, { $a2 }
restart-sys = made again unless a handler without SA_RESTART ran (then EINTR)
restart-no-intr = always made again
restart-no-hand = made again unless a handler ran (else EINTR)
restart-block = continued as restart_syscall when the program runs again
restarted = restarted
fd-gone = (fd gone)
client-server-closed = {"*"} the server closed the connection
client-lost = ! connection lost: { $a1 }
on-port = {" "}on port { $a1 }
watching = watching { $a1 ->
        [one] { $a1 } socket
       *[other] { $a1 } sockets
    }{ $a2 }; Ctrl+C to stop
err-in-use = { $a1 } is already in use: another program is listening there (see `lab sockets --port { $a2 } -p`), or a connection in TIME-WAIT holds the port and the listener did not set SO_REUSEADDR
err-in-use-held = { $a1 } is already in use: { $a2 } (see `lab sockets --port { $a3 } -p`)
held-by-listener = { $a1 } is listening there, held by { $a2 }
held-by-connection = the connection { $a1 } in { $a2 } holds the port{ $a3 }: a new socket binds it only if it sets SO_REUSEADDR (and, for a listener's port, the old one did too)
held-by-other = another user's process
err-access = { $a1 }: ports below 1024 need root (or CAP_NET_BIND_SERVICE); pick a port ≥ 1024
err-no-addr = { $a1 }: this machine has no such address; use 127.0.0.1, ::1 or 0.0.0.0
err-refused = { $a1 }: nobody is listening there (the kernel answered the SYN with RST)
err-timed-out = { $a1 }: no answer to the SYN (a firewall, or no such host)
err-too-many-files = too many open files: raise the limit with `ulimit -n`
accept-after-shut-rd = the listener was shut down for reading (shutdown(SHUT_RD)): accept() fails with EINVAL — how a blocked accept() is woken to stop
close-held-by = { $a1 } still holds this socket (a dup(), or a fork()ed process): this close() dropped one reference, no FIN was sent
close-held-passing = { $a1 } still holds this socket: a child between fork() and exec() holds a copy of every fd of its parent until exec() closes them; no FIN yet
close-held-unseen = a reference lab cannot see still holds this socket (another user's process, or a fd in flight between processes): this close() dropped one reference, no FIN was sent
close-let-go = a child between fork() and exec() held this socket { $a1 } µs after close() (it holds a copy of every fd of its parent): the FIN left when it let go
close-let-go-unseen = a reference lab could not see (another user's process, or one that let go before lab looked) held this socket { $a1 } µs after close(): the FIN left when it let go
abort-linger0 = SO_LINGER 0: close() sends RST, not FIN
abort-unread = unread data in the receive queue: close() sends RST, not FIN
crossed = the peer's FIN crossed ours
fin-already-back = the peer's FIN was already back at the first look
peer-moved-on = the peer moved it on meanwhile: next line
close-should-show = after close() from { $a1 } the table should show { $a2 }
or = {" "}or{" "}
close-after-gap = the peer's FIN arrived between lab's look and the close itself: closed from CLOSE-WAIT (FIN, LAST-ACK, gone)
move-handshake = the handshake finished (the peer's program has not called accept yet)
move-fin-arrived = the peer's FIN arrived: recv() will return 0
move-crossed-closing = the peer's FIN crossed ours: both sides close at once
move-fin-acked = the peer acknowledged our FIN
move-time-wait = the peer's FIN arrived: who closes first waits in TIME-WAIT (60 s)
move-fin-with-ack = the peer's FIN arrived with the ACK of ours (it closed on reading our FIN): who closes first waits in TIME-WAIT (60 s)
move-last-ack-gone = the peer acknowledged our FIN: the connection is gone
move-time-wait-expired = TIME-WAIT expired: the 4-tuple is free again
move-reset = the peer reset the connection (RST): the fd remains, the connection is gone
move-gone = the connection is gone from the table
move-listener-gone = the listener is gone from the table: nothing listens on its port any more
move-reset-orphan = reset: an RST ended it, no TIME-WAIT (the peer aborted — e.g. it closed with data unread)
move-timed-out = timed out: nothing came from the peer, and the kernel's timer let it go
move-keep-alive-gave-up = this side's kernel gave up: its keep-alive probes went unanswered, so it sent RST and dropped the connection; the fd remains
move-gave-up = this side's kernel gave up on a silent peer (retransmissions, keep-alive probes or TCP_USER_TIMEOUT ran out): the fd remains, the connection is gone
move-ended-unknown = the connection is gone, the fd remains: an RST from the peer, or this side's kernel gave up — nothing the trace saw tells which (the wire is not shown)
move-own-end-orphan = ended by this side's kernel, no TIME-WAIT: no RST came from the peer (data came for the closed socket and it answered RST, or a timer gave up)
move-ended-unknown-orphan = gone, no TIME-WAIT: an RST from the peer or a timer of this side ended it — nothing the trace saw tells which (the wire is not shown)
move-other = the kernel changed the state
not-tcp = not a TCP socket: no connection states
read-later-moved = not confirmed: when the table was read, after the call, the connection was already { $a1 }
read-later-gone = not confirmed: when the table was read, after the call, the connection was gone
no-local = no local address
unbound = not listed (unbound): a socket enters the table when it gets a port
no-peer = no peer address to look the connection up by
fd-close-time-wait = the fd's socket is CLOSE; its connection lives on in TIME-WAIT without it
connection-over = the connection is over
bound-invisible = bound but not listening: invisible to sock_diag before Linux 6.8
bound-idle = bound, idle: listed since Linux 6.8
close-port-given = CLOSE and holding no port (one bind() did not name is given back): not in the table
no-row = the table has no row for this 4-tuple
other-inode = the row for this 4-tuple is another socket (inode differs)
expect-got = expected { $a1 }, got { $a2 }
expect-state-met = state { $a1 }
expect-state = expected state { $a1 }, fd reports { $a2 }
expect-kernel-met = kernel { $a1 }
expect-kernel = expected { $a1 }, kernel reports { $a2 }
expect-queue = expected { $a1 } { $a2 }, kernel reports { $a3 }
no-state = no state
guard-note = the lesson's guard: wait (at most 3 s) until a blocking call would not block
clean-up = clean-up: closing the sockets the lesson left open
accept-forever = accept() would wait forever: no connection is waiting on { $a1 }
recv-forever = recv() would wait forever: nothing will arrive
recv-waitall-forever = recv() on { $a1 } with MSG_WAITALL would wait forever: it waits for all { $a2 } bytes, and { $a3 } had arrived after { $a4 } s
send-forever = send() on { $a1 } would wait forever: the buffers hold no more and no step reads while it waits; it had sent { $a3 } of { $a2 } bytes after { $a4 } s, and was interrupted
connect-forever = connect() on { $a1 } waited too long: its handshake did not finish in { $a2 } s, and its kernel sends the SYN again until its retries run out (about 2 minutes by default; setsockopt TCP_SYNCNT N shortens that); it was interrupted
send-before-connected = send() on { $a1 } waited too long: its connection is still in its handshake (SYN-SENT), and a blocking send() waits for the handshake to end; it was interrupted after { $a2 } s
recvfrom-forever = recvfrom() would wait forever: no datagram will arrive
wait-for = wait for { $a1 }
waited = { $a1 } (waited)
fd-reports = fd reports { $a1 }
kernel-reports = kernel reports { $a1 }
kernel-reports-recv-q = kernel reports Recv-Q { $a1 }
kernel-reports-send-q = kernel reports Send-Q { $a1 }
wait-timed-out = expected { $a1 } within { $a2 } s, { $a3 }
table-words = the kernel's table: { $a1 }, Recv-Q { $a2 }{ $a3 }
table-timer = , timer { $a1 }
table-no-row = the kernel's table: no row
wire-step-met = { $a1 } seen on the wire
wire-step-missing = expected { $a1 } on the wire within { $a2 } s; { $a3 }
wire-step-nothing = nothing more went from { $a1 } to { $a2 }
wire-step-other = the last that went from { $a1 } to { $a2 }: { $a3 }
wire-step-time = expected { $a1 }, seen { $a2 } ms after the previous segment
wire-step-not-checked = wire { $a1 }: not checked, no capture here ({ $a2 })
lesson-needs-hosts = this lesson runs on hosts joined by lab's link, and they cannot be made here: { $a1 }
lesson-link-now = the link from now on: { $a1 }
lesson-sysctl = sysctl { $a1 }={ $a2 } on { $a3 }
lesson-no-sysctl = sysctl { $a1 }={ $a2 }: this kernel has no such setting, nothing changed on { $a3 }
ask-name = What's your name?
room-welcome = {"*"} Welcome to lab chat! What's your name? (1-16 letters, digits, _ or -)
room-too-long = ! line too long (over { $a1 } bytes): dropped
room-left = {"*"} { $a1 } left the chat{ $a2 }
leave-disconnected = {" "}(disconnected)
leave-reset = {" "}(connection reset)
leave-too-slow = {" "}(dropped: it stopped reading)
leave-shutdown = {" "}(server shutting down)
client-needs-name = --dialect { $a1 } sends its name right after connect(): give it with --name
paced-pause = waited { $a1 } ms so that this message arrives in its own recv(): the protocol has no framing
chatbid-expected = ! expected MESSAGE:text or DISCONNECT:, got '{ $a1 }'
room-shutdown = {"*"} server shutting down, bye!
room-bad-name = ! { $a1 }. What's your name?
room-name-taken = ! the name '{ $a1 }' is taken. What's your name?
room-hi = {"*"} Hi { $a1 }, welcome! { $a2 ->
        [one] { $a2 } other user
       *[other] { $a2 } other users
    } here. Type :h for help.
room-deck-empty = {"*"} the artifact deck is empty: you have none
room-your-artifacts = {"*"} your artifacts: { $a1 }
room-joined = {"*"} { $a1 } joined the chat
room-mine = { $a1 } (you): { $a2 }
room-users = {"*"} users ({ $a1 }): { $a2 }
room-you-are = {"*"} you are { $a1 }: id { $a2 }, fd { $a3 } on the server, your address { $a4 }
room-bye = {"*"} bye { $a1 }!
room-no-artifact = ! no artifact '{ $a1 }' in the catalog (ids 1-20)
room-usage = ! usage: { $a1 }
room-unknown = ! unknown command { $a1 }: type :h for help
room-no-such-user-dashed = ! no such user: :p-name-text needs a connected user's name (see :u)
room-users-ids = {"*"} users ({ $a1 }), id and address:
room-users-more = {"*"}   ... and { $a1 } more
list-more = , ... and { $a1 } more
room-no-artifacts = {"*"} you have no artifacts
room-empty-private = ! empty message to { $a1 }
room-private-in = {"["}private] { $a1 } -> you: { $a2 }
room-private-out = {"["}private] you -> { $a1 }: { $a2 }
room-no-user = ! no user named '{ $a1 }' (see :u)
room-self-trade = ! you cannot trade with yourself
poll-first-words = waits up to { $a1 } ms for { $a2 } to speak first: its first bytes tell which protocol it speaks (--dialect auto); silent, it is greeted
client-not-sent = (not sent: { $a1 })
room-you-lack = ! you have no artifact { $a1 } (see :artifacts)
room-they-lack = ! { $a1 } has no artifact { $a2 }
room-you-have = ! you already have { $a1 }: a hand holds each artifact once
room-they-have = ! { $a1 } already has { $a2 }: a hand holds each artifact once
room-offer-in = {"*"} { $a1 } offers you { $a2 } for your { $a3 }: :accept { $a4 } or :reject { $a5 }
room-offer-out = {"*"} offer sent to { $a1 }: your { $a2 } for their { $a3 }
room-no-offer-from = ! no offer from '{ $a1 }'
room-no-offer = ! no offer to settle
room-several-offers = ! several offers: say whose, e.g. :accept ana
room-rejected-yours = {"*"} { $a1 } rejected your offer ({ $a2 } for { $a3 })
room-you-rejected = {"*"} you rejected { $a1 }'s offer
room-accepted = {"*"} { $a1 } accepted: you gave { $a2 } and got { $a3 }
room-trade-done = {"*"} trade done: you gave { $a1 } and got { $a2 }
room-they-no-longer = ! { $a1 } no longer has { $a2 }: offer cancelled
room-you-no-longer = ! you no longer have { $a1 }: offer cancelled
room-full = ! server full ({ $a1 ->
        [one] { $a1 } client
       *[other] { $a1 } clients
    }): try again later
name-empty = a name needs at least one character
name-too-long = a name has at most { $a1 } characters
name-bad-char = '{ $a1 }' is not allowed: use letters, digits, _ and -
name-reserved = '{ $a1 }' is reserved
room-help = {"*"} commands (':' or '/'):
    {"*"}   text               say it to everyone
    {"*"}   :p name text       private message (also :p-name-text)
    {"*"}   :u / :i            users / users with id and address
    {"*"}   :add               your id, your fd on the server, your address
    {"*"}   :me text           an action
    {"*"}   :smile :angry :combito :larva   emotes
    {"*"}   :artifacts         your artifacts; :artifact N looks one up
    {"*"}   :offer name mine theirs         propose a swap (artifact ids)
    {"*"}   :accept [name] / :reject [name] settle an offer made to you
    {"*"}   :h                 this help
    {"*"}   :q, chao, bye      leave
link-error = link rule, column { $a1 }: '{ $a2 }': { $a3 }
link-unknown-rule = not a rule (delay, loss, drop, duplicate, reorder, rate, mtu, partition, heal)
link-no-host = there is no host '{ $a1 }'
link-bad-duration = a time is a number and a unit, from 0 to 10s: 30ms, 1s, 250us
link-bad-percent = a chance is a percentage from 0 to 100: 5%
link-bad-count = expected a whole number in range (mtu: 68 to 65536; counts: 1 to 1000000)
link-bad-rate = a rate is a number and bit, kbit, mbit or gbit, from 1kbit to 100gbit: 1mbit
link-bad-kind = drop counts data, SYN, FIN or RST segments
link-missing = the rule needs its { $a1 }
link-heal-alone = 'heal' is said alone: it ends a partition and keeps the other rules
link-repeated = '{ $a1 }' again for a way an earlier rule (column { $a2 }) already covers: both would hold, one after the other; say it once
net-hosts = lab's network: { $a1 } — link: { $a2 }
net-summary = the hosts sent { $a1 ->
        [one] { $a1 } packet
       *[other] { $a1 } packets
    }: { $a2 } arrived, { $a3 ->
        [one] { $a3 } was
       *[other] { $a3 } were
    } dropped by the link, { $a4 ->
        [one] { $a4 } was
       *[other] { $a4 } were
    } for no host
link-perfect = no rules: a perfect link
dropped-partition = partition
dropped-too-big = bigger than the link's MTU
dropped-scripted = dropped as scripted
dropped-lost = lost
dropped-queue-full = queue full
net-no-userns = lab net cannot make its hosts: { $a1 }
net-up = lab's network is up: { $a1 } — link: { $a2 }. In another terminal: lab net exec a -- COMMAND, lab net link 'RULES', lab sockets --host a. Ctrl+C takes it down.
fault-shortened = lab shortened this { $a1 }() to { $a2 } of the { $a3 } bytes asked ({ $a4 }): TCP may always do this
fault-interrupted = lab interrupted this { $a1 }() before it ran (--eintr): it returns EINTR, as when a signal arrives while it waits
diagram-left-out = (the diagram keeps a run's last events: { $a1 ->
        [one] the { $a1 } earlier event of { $a2 } is
       *[other] the { $a1 } earlier events of { $a2 } are
    } left out; the trace has them all)
