#!/usr/bin/env bash
# The chat server under load: both models at 100, 1,000 and 10,000 clients, untraced and
# traced to a file; each point run 3 times, the median printed. Loopback only; every run
# starts its own `lab server` process and stops it with SIGINT.
#   cargo build --release && benches/load_matrix.sh
set -u
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
lab=target/release/lab
trace=$(mktemp)
median() { sort -n | sed -n 2p; }
printf '| model | clients | messages | held | deliveries/s | p50 µs | p99 µs | traced deliveries/s | traced p50 µs | traced p99 µs | slowdown |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for model in poll threads; do
  for point in "100 5000" "1000 1000" "10000 100"; do
    set -- $point
    n=$1 m=$2
    [ "$model" = threads ] && [ "$n" = 10000 ] && m=30
    runs=() truns=()
    for r in 1 2 3; do
      runs+=("$($lab load --clients "$n" --messages "$m" --model "$model" --timeout 20 2>/dev/null)")
      truns+=("$($lab load --clients "$n" --messages "$m" --model "$model" --timeout 20 --trace-file "$trace" 2>/dev/null)")
    done
    get() { printf '%s\n' "$@" | grep -o "$key=[0-9.]*" | cut -d= -f2 | median; }
    key=held; held=$(get "${runs[@]}")
    key=deliv_per_s; d=$(get "${runs[@]}"); td=$(get "${truns[@]}")
    key=p50_us; p50=$(get "${runs[@]}"); tp50=$(get "${truns[@]}")
    key=p99_us; p99=$(get "${runs[@]}"); tp99=$(get "${truns[@]}")
    slow=$(awk -v a="$d" -v b="$td" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$model" "$n" "$m" "$held" "$d" "$p50" "$p99" "$td" "$tp50" "$tp99" "$slow"
  done
done
rm -f "$trace"
