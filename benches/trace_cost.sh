#!/bin/sh
# What `lab trace` costs, side by side with strace on the same programs, in one run: per traced
# socket call (benches/send_loop.c: N send()+recv() pairs), and the start-up of a Python
# program, where a seccomp filter lets every other call go untouched.
#
# The anchor is `strace -f --seccomp-bpf -e trace=network`: strace with the same kind of
# seccomp filter lab uses, so both stop at the same calls and only what each does at a stop
# differs. The commands take turns (untraced, lab, strace, untraced, lab, strace, …) so that a
# shared machine's load falls on all of them alike; each figure is the median of REPS runs.
#
#   benches/trace_cost.sh [N] [REPS]    (needs cc, strace ≥ 5.3, python3; builds lab --release)
set -eu
N=${1:-20000}
REPS=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release -q
LAB=target/release/lab
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -o "$TMP/send_loop" benches/send_loop.c
PY=$(python3 -c 'import sys; print(sys.executable)')

# Seconds one run of the command takes.
secs() {
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s%N)
    echo "$(((e - s) / 1000))" | awk '{ printf "%.4f\n", $1 / 1e6 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# One round of every variant of a workload, REPS times, interleaved; prints "name median" lines.
rounds() {
    what=$1
    for _ in $(seq "$REPS"); do
        for name in untraced lab strace_bpf strace; do
            case $what.$name in
                loop.untraced) t=$(secs "$TMP/send_loop" "$N") ;;
                loop.lab) t=$(secs "$LAB" trace --trace-file "$TMP/t.txt" -- "$TMP/send_loop" "$N") ;;
                loop.strace_bpf) t=$(secs strace -f --seccomp-bpf -e trace=network -o "$TMP/s.txt" "$TMP/send_loop" "$N") ;;
                loop.strace) t=$(secs strace -f -e trace=network -o "$TMP/s.txt" "$TMP/send_loop" "$N") ;;
                py.untraced) t=$(secs "$PY" -c pass) ;;
                py.lab) t=$(secs "$LAB" trace --trace-file "$TMP/t.txt" -- "$PY" -c pass) ;;
                py.strace_bpf) t=$(secs strace -f --seccomp-bpf -e trace=network -o "$TMP/s.txt" "$PY" -c pass) ;;
                py.strace) t=$(secs strace -f -e trace=network -o "$TMP/s.txt" "$PY" -c pass) ;;
            esac
            echo "$name $t" >>"$TMP/$what.times"
        done
    done
    for name in untraced lab strace_bpf strace; do
        echo "$name $(awk -v n="$name" '$1 == n { print $2 }' "$TMP/$what.times" | median)"
    done
}

echo "cores: $(nproc); $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "N=$N send()+recv() pairs of 64 bytes ($((2 * N)) socket calls); medians of $REPS interleaved runs"
echo
rounds loop >"$TMP/loop"
base=$(awk '$1 == "untraced" { print $2 }' "$TMP/loop")
per() { awk -v t="$1" -v b="$base" -v n="$N" 'BEGIN { printf "%.1f", (t - b) * 1e6 / (2 * n) }'; }
bpf=$(awk '$1 == "strace_bpf" { print $2 }' "$TMP/loop")
printf '| %-46s | %8s | %14s | %12s |\n' "send_loop $N" "seconds" "per call (µs)" "÷ strace --seccomp-bpf"
printf '|%s|%s|%s|%s|\n' "---" "---" "---" "---"
while read -r name t; do
    case $name in
        untraced) label="untraced" ;;
        lab) label="lab trace (seccomp filter; kernel check per call)" ;;
        strace_bpf) label="strace -f --seccomp-bpf -e trace=network" ;;
        strace) label="strace -f -e trace=network" ;;
    esac
    if [ "$name" = untraced ]; then
        printf '| %-46s | %8.3f | %14s | %12s |\n' "$label" "$t" "-" "-"
    else
        p=$(per "$t")
        r=$(awk -v a="$p" -v b="$(per "$bpf")" 'BEGIN { printf "%.2f×", a / b }')
        printf '| %-46s | %8.3f | %14s | %12s |\n' "$label" "$t" "$p" "$r"
    fi
done <"$TMP/loop"
echo
rounds py >"$TMP/py"
printf '| %-46s | %8s |\n' "python3 -c pass" "seconds"
printf '|%s|%s|\n' "---" "---"
while read -r name t; do printf '| %-46s | %8.3f |\n' "$name" "$t"; done <"$TMP/py"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
