#!/usr/bin/env bash
# The lab: an AC in one namespace, a client in another, joined by a veth pair.
# Shows a session come up, pings the gateway through it, prints the reports,
# and removes everything it made -- also when something fails.
#   lab/run.sh [chap|pap]
set -euo pipefail
cd "$(dirname "$0")/.."
auth=${1:-chap}
case $auth in chap|pap) ;; *) echo "usage: $0 [chap|pap]" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "lab: needs root (network namespaces, raw sockets)" >&2; exit 2; }

PPPEMU=${PPPEMU:-$PWD/.venv/bin/pppemu}
suffix=$$-$RANDOM
ac_ns=ppp-ac-$suffix
cl_ns=ppp-cl-$suffix
out=$(mktemp -d /tmp/pppemu-lab.XXXXXX)
ac_pid=
client_pid=

cleanup() {
    status=$?
    for pid in ${client_pid:-} ${ac_pid:-}; do
        kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
    bash lab/netns.sh down "$suffix"
    echo "lab: namespaces $ac_ns and $cl_ns removed; logs and reports in $out"
    exit $status
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

step "namespaces $ac_ns (AC) and $cl_ns (client), joined by veth0 <-> veth0"
bash lab/netns.sh up "$suffix"

step "AC: gateway 10.0.0.1, pool 10.0.0.100-10.0.0.199, $auth, user lab"
ip netns exec "$ac_ns" "$PPPEMU" ac --iface veth0 --local-ip 10.0.0.1 \
    --pool 10.0.0.100-10.0.0.199 --dns 10.0.0.53 --ac-name lab-ac --auth "$auth" \
    --user lab --password lab-secret --echo-interval 5 \
    --report "$out/ac.json" --pcap "$out/ac.pcap" >"$out/ac.log" 2>&1 &
ac_pid=$!
for _ in $(seq 50); do
    grep -q ready "$out/ac.log" 2>/dev/null && break
    kill -0 "$ac_pid" 2>/dev/null || { cat "$out/ac.log"; exit 1; }
    sleep 0.1
done
cat "$out/ac.log"

step "client: discovery, LCP, $auth, IPCP, 3 pings to the gateway, hold 2 s, terminate"
ip netns exec "$cl_ns" "$PPPEMU" client --iface veth0 --user lab --password lab-secret \
    --auth "$auth" --ping 3 --duration 2 --echo-interval 1 --report "$out/client.json"

step "AC stops (SIGTERM)"
kill -TERM "$ac_pid"
wait "$ac_pid"
ac_pid=
cat "$out/ac.log"

step "the AC's capture, judged against the RFCs (pppemu check)"
"$PPPEMU" check "$out/ac.pcap"

step "TUN at both ends: the AC as a real gateway, kernel tools through the session"
ip netns exec "$ac_ns" "$PPPEMU" ac --iface veth0 --local-ip 10.0.0.1 \
    --pool 10.0.0.100-10.0.0.199 --ac-name lab-ac --auth "$auth" \
    --user lab --password lab-secret --tun pppac >"$out/ac-tun.log" 2>&1 &
ac_pid=$!
for _ in $(seq 50); do grep -q ready "$out/ac-tun.log" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$cl_ns" "$PPPEMU" client --iface veth0 --user lab --password lab-secret \
    --auth "$auth" --tun ppp0 --duration 30 >"$out/client-tun.log" 2>&1 &
client_pid=$!
for _ in $(seq 50); do grep -q "TUN ppp0" "$out/client-tun.log" 2>/dev/null && break; sleep 0.1; done
cat "$out/client-tun.log"
ip -n "$cl_ns" -br addr show ppp0
echo "-- ping from the client's namespace to the gateway, through pppemu at both ends"
ip netns exec "$cl_ns" ping -c 3 -i 0.2 10.0.0.1
echo "-- TCP: iperf3 server in the AC's namespace, client in the subscriber's, 3 s"
ip netns exec "$ac_ns" iperf3 -s -1 -B 10.0.0.1 >"$out/iperf-server.log" 2>&1 &
sleep 0.5
ip netns exec "$cl_ns" iperf3 -c 10.0.0.1 -t 3 | tail -4
kill -TERM "$client_pid"; wait "$client_pid" || true
client_pid=
kill -TERM "$ac_pid"; wait "$ac_pid"
ac_pid=

step "reports"
python3 - "$out/client.json" "$out/ac.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    s = r["summary"]
    print(f"{r['role']:6} sessions={s['sessions']} established={s['established']} failed={s['failed']} "
          f"setup p50={s['setup_ms']['p50']} ms")
    for sess in r["sessions"]:
        print(f"       {sess['mac']} sid={sess['session_id']} {sess['state']} address={sess['address']} "
              f"gateway={sess['gateway']} reason={sess['reason']}")
    print("       counters:", ", ".join(f"{k}={v}" for k, v in r["counters"].items()))
PY
echo
echo "lab: OK"
