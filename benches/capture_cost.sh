#!/bin/sh
# What capturing the wire costs (issue 21), capture on and off side by side, interleaved over
# several rounds (the machine may be shared: each line says the load it ran under).
#
# 1. The lesson suite, `lab lesson check` (every lesson, one process), LAB_CAPTURE=on / off.
# 2. The same lessons as one `lab lesson run` process each (as tests/lessons.rs runs them).
# 3. 1 GiB over lo in lab's own network: iperf3 traced by `lab trace --net --wire off`. The
#    segments lab captured plus those it says it missed, against TCP's own count inside the
#    namespace (/proc/net/snmp InSegs: each segment passes the capture before TCP gets it);
#    the rate iperf3 reached, capture on and off.
#
#   benches/capture_cost.sh [ROUNDS]     (needs iperf3; builds lab --release)
set -eu
ROUNDS=${1:-5}
cd "$(dirname "$0")/.."
cargo build --release -q
LAB=$PWD/target/release/lab
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
LESSONS=$("$LAB" lesson list 2>/dev/null | awk '/^ *[0-9][0-9]-/ {print $2}')

load() { cut -d' ' -f1 /proc/loadavg; }
secs() { s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

each_lesson() { for l in $LESSONS; do "$LAB" lesson run "$l" --color never >/dev/null 2>&1; done; }

gib() { # $1: on|off → "captured missed InSegs OutSegs RetransSegs Gbit/s"
    LAB_CAPTURE=$1 "$LAB" trace --net --wire off --json --trace-file "$TMP/gib.json" -- sh -c \
        'iperf3 -s -1 -p 5201 >/dev/null & sleep 0.3
         iperf3 -c 127.0.0.1 -p 5201 -n 1G -f g | awk "/sender/ {print \"rate\", \$7}"
         wait; grep Tcp: /proc/net/snmp' >"$TMP/gib.out" 2>&1
    rate=$(awk '/^rate/ {print $2}' "$TMP/gib.out")
    snmp=$(awk '/^Tcp: [0-9]/ {print $11, $12, $13}' "$TMP/gib.out")
    note=$(grep -o '"note":"wire: [^"]*"' "$TMP/gib.json" | tail -1)
    captured=$(echo "$note" | sed -n 's/.*wire: \([0-9]*\) segments.*/\1/p')
    missed=$(echo "$note" | sed -n 's/.*missed: \([0-9]*\).*/\1/p')
    echo "${captured:--} ${missed:--} $snmp $rate"
}

echo "cores: $(nproc); rounds: $ROUNDS; $(uname -r)"
printf '%-6s %-5s %-8s %14s %16s\n' round load capture "check (s)" "19 runs (s)"
for r in $(seq "$ROUNDS"); do
    for c in on off; do
        l=$(load)
        a=$(LAB_CAPTURE=$c secs "$LAB" lesson check)
        b=$(LAB_CAPTURE=$c secs each_lesson)
        echo "$c $a $b" >>"$TMP/suite"
        printf '%-6s %-5s %-8s %14.3f %16.3f\n' "$r" "$l" "$c" "$a" "$b"
    done
done
for c in on off; do
    printf 'median %-8s check %.3f s, 19 runs %.3f s\n' "$c" \
        "$(awk -v c=$c '$1==c {print $2}' "$TMP/suite" | median)" \
        "$(awk -v c=$c '$1==c {print $3}' "$TMP/suite" | median)"
done
echo
printf '%-6s %-5s %-8s %10s %8s %8s %8s %8s %8s\n' round load capture captured missed InSegs OutSegs Retrans Gbit/s
for r in $(seq "$ROUNDS"); do
    for c in on off; do
        l=$(load)
        # shellcheck disable=SC2046
        printf '%-6s %-5s %-8s %10s %8s %8s %8s %8s %8s\n' "$r" "$l" "$c" $(gib "$c")
    done
done
