#!/bin/sh
# What a traced close() of an established connection costs the program: N connections made
# and closed (benches/close_many.c, 2N closes), untraced and under `lab trace`.
#
#   benches/close_cost.sh [N]        (needs cc; builds lab --release)
set -eu
N=${1:-5001}
cd "$(dirname "$0")/.."
cargo build --release -q
LAB=target/release/lab
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -o "$TMP/close_many" benches/close_many.c

secs() {
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}

echo "cores: $(nproc); N=$N connections, each closed on both sides"
printf '%-30s %10.3f s\n' "untraced" "$(secs "$TMP/close_many" "$N")"
printf '%-30s %10.3f s\n' "lab trace" "$(secs "$LAB" trace --trace-file "$TMP/t.txt" -- "$TMP/close_many" "$N")"
printf '%-30s %10s\n' "close() verdicts that differ" "$(grep 'close(' "$TMP/t.txt" | grep -c '✗' || true)"
