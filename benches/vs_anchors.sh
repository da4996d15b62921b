#!/usr/bin/env bash
# lab server against the C anchors in benches/anchors, all driven by the same C
# `loadgen`, one fresh server per run, in one sitting:
#   epoll_fanout (bare epoll, batched: the speed limit), threads_mutex (the seeds' design),
#   lab server --model poll, lab server --model threads.
#   cargo build --release && benches/vs_anchors.sh
set -u
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
cp benches/anchors/*.c benches/anchors/Makefile "$work"/ && make -s -C "$work" >/dev/null || exit 1
lab=$PWD/target/release/lab
port=7400
run() {  # run LABEL CLIENTS MESSAGES SERVER-COMMAND...
  local label=$1 n=$2 m=$3; shift 3
  port=$((port + 1))
  "$@" "$port" >/dev/null 2>&1 &
  local pid=$!
  # Wait (bounded) until the server listens, instead of a fixed sleep.
  for _ in $(seq 100); do ss -ltn "sport = :$port" | grep -q LISTEN && break; sleep 0.02; done
  local out
  out=$("$work/loadgen" --port "$port" --clients "$n" --messages "$m" --timeout 10)
  kill "$pid"; wait "$pid" 2>/dev/null
  echo "| $label | $n | $m | $(grep -o 'held=[0-9]*' <<<"$out" | cut -d= -f2) | $(grep -o 'deliv_per_s=[0-9]*' <<<"$out" | cut -d= -f2) | $(grep -o 'p50_us=[0-9]*' <<<"$out" | cut -d= -f2) | $(grep -o 'p99_us=[0-9]*' <<<"$out" | cut -d= -f2) | $(grep -o 'lost=[0-9]*' <<<"$out" | cut -d= -f2) |"
}
labpoll() { exec "$lab" server --model poll --max-clients 10100 --port "$1"; }
labthreads() { exec "$lab" server --model threads --max-clients 10100 --port "$1"; }
echo "| server | clients | messages | held | deliveries/s | p50 µs | p99 µs | lost |"
echo "|---|---|---|---|---|---|---|---|"
for point in "100 5000" "1000 500" "10000 50"; do
  set -- $point
  run "epoll_fanout" "$1" "$(( $2 * 20 ))" "$work/epoll_fanout"
  run "threads_mutex" "$1" "$2" "$work/threads_mutex"
  run "lab server --model poll" "$1" "$(( $2 * 10 ))" labpoll
  run "lab server --model threads" "$1" "$2" labthreads
done
rm -rf "$work"
