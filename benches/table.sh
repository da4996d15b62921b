#!/usr/bin/env bash
# The performance table, side by side in one run, ratios included:
#   benches/table.sh [REPS] [--all | --sockets]   (default 3 runs per point; builds lab --release)
# By default, issue 25's rows (about 3 minutes): what tracing costs the chat server
# (`--trace --json --trace-file`; poll and epoll at 10,000 clients and 500 messages, threads at
# 1,000 clients and 5,000 messages: 5,000,000 deliveries each), and
# `lab sockets` against `ss -tan`. `--all` adds issue 13's rows (each model against the C
# anchors of benches/anchors) and each server's memory per idle client (about 10 minutes);
# `--sockets` makes the `lab sockets` row only (about 30 seconds).
# Every figure is a median of REPS runs; the servers of one row take turns (A B A B …), a
# fresh server per run, all driven by the same C loadgen (benches/anchors). The cost of
# tracing is the untraced server's rate over the traced one's (how many times slower), and
# beside it the server process's CPU time (all its threads), traced over untraced, which a
# shared machine's load disturbs less. `lab sockets` and `ss -tan` take turns too, with
# SOCKETS sockets in the table (half of them held by hold_idle.py, half the server's ends);
# that ratio is lab's time over ss's (below 1: lab is faster). The load average is printed at
# the start and the end: on a shared machine, compare runs made under a like load. Needs
# cargo, gcc, make, python3 and iproute2 (ss).
set -u
cd "$(dirname "$0")/.."
REPS=3
ALL=0
SOCKETS_ONLY=0
for a in "$@"; do
  case $a in
    --all) ALL=1 ;;
    --sockets) SOCKETS_ONLY=1 ;;
    *[!0-9]* | '') echo "usage: benches/table.sh [REPS] [--all | --sockets]" >&2; exit 2 ;;
    *) REPS=$a ;;
  esac
done
SOCKETS=${SOCKETS:-10000}
cargo build --release -q || exit 1
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cp benches/anchors/*.c benches/anchors/Makefile "$work"/ && make -s -C "$work" >/dev/null || exit 1
lab=$PWD/target/release/lab
port=7600

# start SERVER-COMMAND...: runs it on a fresh port, waits (bounded) until it listens.
start() {
  port=$((port + 1))
  "$@" "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 200); do ss -ltn "sport = :$port" | grep -q LISTEN && return 0; sleep 0.02; done
  echo "server did not start: $*" >&2; return 1
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }

# deliv CLIENTS MESSAGES SERVER-COMMAND...: "deliveries-per-second server-CPU-ticks" of one run
# (the CPU of every thread of the server process, read before it is stopped).
deliv() {
  local n=$1 m=$2 rate st; shift 2
  start "$@" || { echo "0 0"; return; }
  rate=$("$work/loadgen" --port "$port" --clients "$n" --messages "$m" --timeout 10 | grep -o 'deliv_per_s=[0-9]*' | cut -d= -f2)
  read -r -a st <"/proc/$pid/stat"
  echo "${rate:-0} $((st[13] + st[14]))"
  stop
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

fanout()  { exec "$work/epoll_fanout" "$1"; }
mutex()   { exec "$work/threads_mutex" "$1" 10100; }
labm()    { local model=$1; shift; exec "$lab" server --model "$model" --max-clients 10100 --port "$1"; }
labpoll()    { labm poll "$@"; }
labepoll()   { labm epoll "$@"; }
labthreads() { labm threads "$@"; }
labm_traced() { local model=$1; shift; exec "$lab" server --model "$model" --max-clients 10100 --trace --json --trace-file "$work/t.jsonl" --port "$1"; }
labpoll_traced()    { labm_traced poll "$@"; }
labepoll_traced()   { labm_traced epoll "$@"; }
labthreads_traced() { labm_traced threads "$@"; }

# row LABEL CLIENTS MESSAGES A B [cost]: medians of A and B, taking turns, and B/A — or, for
# a cost (B is A traced), A/B: how many times slower tracing makes it, and B's CPU over A's.
row() {
  local label=$1 n=$2 m=$3 a=$4 b=$5 cost=${6:-} ra=() rb=() ca=() cb=() r
  for _ in $(seq "$REPS"); do
    read -r -a r <<<"$(deliv "$n" "$m" "$a")"; ra+=("${r[0]}"); ca+=("${r[1]}")
    read -r -a r <<<"$(deliv "$n" "$m" "$b")"; rb+=("${r[0]}"); cb+=("${r[1]}")
  done
  local ma mb cpu=
  ma=$(printf '%s\n' "${ra[@]}" | median)
  mb=$(printf '%s\n' "${rb[@]}" | median)
  if [ -n "$cost" ]; then
    local xa xb
    xa=$(printf '%s\n' "${ca[@]}" | median)
    xb=$(printf '%s\n' "${cb[@]}" | median)
    cpu=" | CPU ${xa}0 ms vs ${xb}0 ms: $(awk -v a="$xa" -v b="$xb" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')×"
  fi
  printf '| %s | %s | %s /s | %s /s | %s×%s |\n' "$label" "$n" "$a=$ma" "$b=$mb" \
    "$(awk -v a="$ma" -v b="$mb" -v c="$cost" 'BEGIN { if (c != "") { t = a; a = b; b = t } printf "%.2f", (a > 0 ? b / a : 0) }')" "$cpu"
}

[ "$SOCKETS_ONLY" = 1 ] && ALL=0
echo "machine: $(nproc) cores, $(uname -sr); reps: $REPS; command: benches/table.sh $*"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$SOCKETS_ONLY" = 0 ]; then
  echo
  echo "| figure | clients | A (median) | B (median) | ratio (a cost: goal ≤ 1.3×) |"
  echo "|---|---|---|---|---|"
fi
if [ "$ALL" = 1 ]; then
  row "threads vs the course's threads_mutex" 1000 500 mutex labthreads
  row "poll vs bare batched epoll_fanout" 1000 5000 fanout labpoll
  row "epoll vs epoll_fanout" 1000 5000 fanout labepoll
  row "poll vs epoll_fanout" 10000 500 fanout labpoll
  row "epoll vs epoll_fanout" 10000 500 fanout labepoll
fi
if [ "$SOCKETS_ONLY" = 0 ]; then
  row "cost of tracing the poll model (--trace --json --trace-file): A/B" 10000 500 labpoll labpoll_traced cost
  row "cost of tracing the epoll model: A/B" 10000 500 labepoll labepoll_traced cost
  # 5,000 messages: as many deliveries as the rows above (5,000,000). With 500 the chat lasted a
  # quarter of a second, mostly its start, and the ratio moved over 1.04–1.39× in five runs; the
  # first two runs with 5,000 read 1.35× and 1.45× (docs/performance.md).
  row "cost of tracing the threads model: A/B" 1000 5000 labthreads labthreads_traced cost
fi

# lab sockets against ss -tan, SOCKETS sockets in the table (whole process, output to a pipe),
# taking turns, median of 15 each.
hold() {
  local n=$1
  coproc HOLD { python3 benches/hold_idle.py "$n" "$port"; }
  read -r _ <&"${HOLD[0]}"
}
unhold() { exec {HOLD[1]}>&-; wait "$HOLD_PID" 2>/dev/null; }
# run_us COMMAND...: "wall-µs CPU-ms" of one run into a pipe (CPU: user + system, from bash's
# `time`, which counts the pipe's cat too — alike for both). The clock is bash's own
# EPOCHREALTIME, read right before and after the pipeline, and `time`'s report goes to a file:
# a `date` or an `awk` started inside the timed span (2.5 ms here, as much for ss as for lab)
# would be measured with the command.
run_us() {
  local t0 t1 times TIMEFORMAT='%3U %3S'
  t0=${EPOCHREALTIME//[!0-9]/}
  { time "$@" | cat >/dev/null; } 2>"$work/time"
  t1=${EPOCHREALTIME//[!0-9]/}
  read -r -a times <"$work/time"
  echo "$((t1 - t0)) $(awk -v u="${times[0]}" -v s="${times[1]}" 'BEGIN { printf "%d", (u + s) * 1000 }')"
}
# sockets_line LABEL SS-WALL SS-CPU LAB-WALL LAB-CPU: the row's line, ratios included.
sockets_line() {
  echo "| $1 vs ss -tan, $socks sockets (median of 15; wall µs, CPU ms) | ss=$2 µs, $3 ms | lab=$4 µs, $5 ms | wall $(awk -v a="$2" -v b="$4" 'BEGIN { printf "%.2f", b / a }')×, CPU $(awk -v a="$3" -v b="$5" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')× |"
}
# LAB_BEFORE=path/to/an/older/lab adds that build to the turns, for a before/after in one run.
if start labpoll; then
  hold $((SOCKETS / 2))
  socks=$(ss -tanH | wc -l)
  tl=(); ts=(); cl=(); cs=(); tb=(); cb=()
  for _ in $(seq 15); do
    read -r -a r <<<"$(run_us "$lab" sockets)"; tl+=("${r[0]}"); cl+=("${r[1]}")
    read -r -a r <<<"$(run_us ss -tan)"; ts+=("${r[0]}"); cs+=("${r[1]}")
    if [ -n "${LAB_BEFORE:-}" ]; then
      read -r -a r <<<"$(run_us "$LAB_BEFORE" sockets)"; tb+=("${r[0]}"); cb+=("${r[1]}")
    fi
  done
  ml=$(printf '%s\n' "${tl[@]}" | median); ms=$(printf '%s\n' "${ts[@]}" | median)
  xl=$(printf '%s\n' "${cl[@]}" | median); xs=$(printf '%s\n' "${cs[@]}" | median)
  sockets_line=$(sockets_line "lab sockets" "$ms" "$xs" "$ml" "$xl")
  if [ -n "${LAB_BEFORE:-}" ]; then
    sockets_line+=$'\n'$(sockets_line "LAB_BEFORE's lab sockets" "$ms" "$xs" \
      "$(printf '%s\n' "${tb[@]}" | median)" "$(printf '%s\n' "${cb[@]}" | median)")
  fi
  unhold
  stop
fi

# Each server's memory per idle client (--all).
if [ "$ALL" = 1 ]; then
  echo
  echo "| server | RSS idle | RSS with 10,000 idle clients | per client |"
  echo "|---|---|---|---|"
  rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
  for s in fanout mutex labthreads labpoll labepoll; do
    start "$s" || continue
    base=$(rss "$pid")
    hold 10000
    # Let the last registrations land: wait (bounded) until RSS stops growing.
    last=0
    for _ in $(seq 50); do now=$(rss "$pid"); [ "$now" = "$last" ] && break; last=$now; sleep 0.2; done
    full=$(rss "$pid")
    printf '| %s | %s KiB | %s KiB | %.1f KiB |\n' "$s" "$base" "$full" "$(awk -v a="$base" -v b="$full" 'BEGIN { print (b - a) / 10000 }')"
    unhold
    stop
  done
fi
echo
echo "| figure | A | B | B/A (goal ≤ 0.5: lab in half of ss's time) |"
echo "|---|---|---|---|"
echo "${sockets_line:-| lab sockets: not measured | | | |}"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
