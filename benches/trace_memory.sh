#!/bin/sh
# lab trace's memory over a long run: N sockets opened and closed by benches/socket_churn.c,
# lab's resident memory (VmRSS) read after each tenth. What the trace knows of a closed socket
# must go with it: the column must stay flat.
#
#   benches/trace_memory.sh [N] [LAB]     (needs cc; builds lab --release unless LAB is given)
set -eu
N=${1:-100000}
cd "$(dirname "$0")/.."
LAB=${2:-target/release/lab}
[ $# -ge 2 ] || cargo build --release -q
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -o "$TMP/socket_churn" benches/socket_churn.c
mkfifo "$TMP/to" "$TMP/from"
"$LAB" trace --trace-file /dev/null -- "$TMP/socket_churn" "$N" <"$TMP/to" >"$TMP/from" &
LABPID=$!
exec 3>"$TMP/to" 4<"$TMP/from"
echo "sockets opened and closed   lab's VmRSS"
while read -r done <&4; do
    printf '%25s   %s\n' "$done" "$(awk '/VmRSS/ {print $2, $3}' /proc/$LABPID/status)"
    echo go >&3
done
exec 3>&- 4<&-
wait $LABPID
