#!/bin/sh
# What `lab trace` costs, side by side with `strace -f -e trace=network` on the same programs,
# in one run: per traced socket call (benches/send_loop.c: N send()+recv() pairs), and the
# start-up of a Python program, where the seccomp filter lets every other call go untouched.
#
#   benches/trace_cost.sh [N]        (needs cc, strace, python3; builds lab --release)
set -eu
N=${1:-20000}
cd "$(dirname "$0")/.."
cargo build --release -q
LAB=target/release/lab
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -o "$TMP/send_loop" benches/send_loop.c
PY=$(python3 -c 'import sys; print(sys.executable)')

# Seconds for one run of the command, the median of 3.
secs() {
    for _ in 1 2 3; do
        s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
        echo "$e - $s" | bc -l
    done | sort -n | sed -n 2p
}

echo "cores: $(nproc); N=$N send()+recv() pairs of 64 bytes ($((2 * N)) socket calls)"
printf '%-44s %10s %14s\n' "run" "seconds" "per call (µs)"
base=$(secs "$TMP/send_loop" "$N")
printf '%-44s %10.3f %14s\n' "untraced" "$base" "-"
for name in lab strace; do
    case $name in
        lab) t=$(secs "$LAB" trace --trace-file "$TMP/t.txt" -- "$TMP/send_loop" "$N") ;;
        strace) t=$(secs strace -f -e trace=network -o "$TMP/s.txt" "$TMP/send_loop" "$N") ;;
    esac
    per=$(echo "($t - $base) * 1000000 / (2 * $N)" | bc -l)
    printf '%-44s %10.3f %14.1f\n' "$name" "$t" "$per"
done
echo
printf '%-44s %10s\n' "python3 -c pass" "seconds"
printf '%-44s %10.3f\n' "untraced" "$(secs "$PY" -c pass)"
printf '%-44s %10.3f\n' "lab trace (seccomp: stops at socket calls)" "$(secs "$LAB" trace --trace-file "$TMP/t.txt" -- "$PY" -c pass)"
printf '%-44s %10.3f\n' "strace -f -e trace=network" "$(secs strace -f -e trace=network -o "$TMP/s.txt" "$PY" -c pass)"
printf '%-44s %10.3f\n' "strace -f (every call)" "$(secs strace -f -o "$TMP/s.txt" "$PY" -c pass)"
