#!/usr/bin/env bash
# lab's link (`lab net`) beside the bare relay (benches/anchors/tun_relay.c), in one run:
#   - bulk throughput, iperf3 for 5 s, MTU 1500: a direct veth pair, the bare relay, lab's link
#     with no rules (its wire captured as JSON into a file, and with --wire off);
#   - the round trip a program sees (benches/pingpong.py, 2,000 one-byte round trips, p50):
#     veth, bare relay, lab's link — what each adds over veth;
#   - `delay 50ms` as a round trip (goal 100 ± 2 ms);
#   - `loss 5%` over ≥ 10,000 segments (goal 5 ± 1 %), from lab's own count.
# Needs root (the veth pair and the bare relay use `ip netns`), iperf3, python3, cc.
# Usage: benches/link.sh [REPS]     (each throughput figure: the median of REPS runs)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
[ "$(id -u)" = 0 ] || { echo "benches/link.sh: run as root (ip netns for the anchors)"; exit 2; }
for t in iperf3 python3 cc ip; do command -v $t >/dev/null || { echo "needs $t"; exit 2; }; done
make -s -C benches/anchors tun_relay
cargo build --release -q
LAB=$PWD/target/release/lab
PP=$PWD/benches/pingpong.py
W=$(mktemp -d)
export XDG_RUNTIME_DIR=$W
cleanup() {
    kill $(jobs -p) 2>/dev/null || true
    for n in lbA lbB lvA lvB; do ip netns del $n 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
gbit() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9, 2))'; }

# iperf3 between two "hosts": $1 runs a command on the server's side, $2 on the client's.
iperf_between() {
    local on_srv=$1 on_cli=$2 addr=$3
    $on_srv iperf3 -s -1 >/dev/null 2>&1 &
    local srv=$!
    sleep 0.3   # iperf3 -s has no "ready" signal; a failed connect below is retried once
    $on_cli iperf3 -c "$addr" -t 5 -J 2>/dev/null | gbit || { sleep 1; $on_cli iperf3 -c "$addr" -t 5 -J | gbit; }
    wait "$srv" 2>/dev/null || true
}

pingpong_between() {
    local on_srv=$1 on_cli=$2 addr=$3 n=${4:-2000}
    $on_srv python3 "$PP" serve 7100 &
    local srv=$!
    $on_cli python3 "$PP" "$addr" 7100 "$n"
    wait "$srv" 2>/dev/null || true
}

# -- a direct veth pair --------------------------------------------------------------------
ip netns add lvA; ip netns add lvB
ip link add vA netns lvA type veth peer name vB netns lvB
ip -n lvA addr add 10.8.0.1/24 dev vA; ip -n lvB addr add 10.8.0.2/24 dev vB
for n in lvA lvB; do ip -n $n link set lo up; done
ip -n lvA link set vA up; ip -n lvB link set vB up
VA="ip netns exec lvA"; VB="ip netns exec lvB"

# -- the bare relay ------------------------------------------------------------------------
ip netns add lbA; ip netns add lbB
benches/anchors/tun_relay lbA lbB tun0 > "$W/relay.out" &
until grep -q ready "$W/relay.out"; do sleep 0.05; done
ip -n lbA addr add 10.9.0.1/24 dev tun0; ip -n lbB addr add 10.9.0.2/24 dev tun0
for n in lbA lbB; do ip -n $n link set lo up; ip -n $n link set tun0 up; done
BA="ip netns exec lbA"; BB="ip netns exec lbB"

# -- lab's link: a network kept up, its wire as JSON Lines into a file --------------------
lab_up() {
    $LAB net up --json --trace-file "$1" --link "${2:-}" --wire "${3:-all}" 2> "$W/up.err" &
    LABPID=$!
    until [ -e "$W/lab/net" ]; do sleep 0.05; done
}
lab_down() { kill -INT "$LABPID"; wait "$LABPID" 2>/dev/null || true; }
LA="$LAB net exec a --"; LB="$LAB net exec b --"

echo "== bulk throughput, Gbit/s (median of $REPS; iperf3 -t 5, MTU 1500)"
for i in $(seq "$REPS"); do
    echo "veth $(iperf_between "$VA" "$VB" 10.8.0.1)"
    echo "bare_relay $(iperf_between "$BA" "$BB" 10.9.0.1)"
    lab_up "$W/wire.jsonl"; echo "lab_link_captured $(iperf_between "$LA" "$LB" 10.0.0.1)"; lab_down
    echo "segments_in_wire_file $(grep -c '"segment"' "$W/wire.jsonl" || true)"
    lab_up /dev/null "" off; echo "lab_link_wire_off $(iperf_between "$LA" "$LB" 10.0.0.1)"; lab_down
done | tee "$W/bulk.txt" | grep -v segments_in || true
for k in veth bare_relay lab_link_captured lab_link_wire_off; do
    echo "median $k $(grep "^$k " "$W/bulk.txt" | awk '{print $2}' | median)"
done

echo "== round trip, one byte, p50 µs (2,000 round trips)"
echo "veth        $(pingpong_between "$VA" "$VB" 10.8.0.1)"
echo "bare_relay  $(pingpong_between "$BA" "$BB" 10.9.0.1)"
lab_up "$W/wire.jsonl"; echo "lab_link    $(pingpong_between "$LA" "$LB" 10.0.0.1)"; lab_down

echo "== delay 50ms, as a round trip (goal 100 ± 2 ms)"
lab_up "$W/wire.jsonl" "delay 50ms"; echo "delay_50ms  $(pingpong_between "$LA" "$LB" 10.0.0.1 40)"; lab_down

echo "== loss 5% (goal 5 ± 1 %), 16 MB one way: lab's own count"
lab_up "$W/wire.jsonl" "loss 5%"
$LA python3 -c "import socket; s=socket.socket(); s.bind(('0.0.0.0',7200)); s.listen(); c,_=s.accept(); n=0
while True:
    d=c.recv(65536)
    if not d: break
    n+=len(d)
print('received', n)" &
SINK=$!
sleep 0.3
$LB python3 -c "import socket; s=socket.create_connection(('10.0.0.1',7200)); s.sendall(b'x'*16_000_000); s.close()"
wait "$SINK" 2>/dev/null || true
lab_down
python3 - "$W/wire.jsonl" <<'PY'
import json, sys
sent = dropped = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("kind") == "segment":
        sent += 1
        dropped += e["segment"]["dropped"]
print("segments %d dropped %d = %.2f%%" % (sent, dropped, 100.0 * dropped / max(sent, 1)))
PY
