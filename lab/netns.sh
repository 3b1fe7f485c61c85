#!/usr/bin/env bash
# Build or remove two network namespaces joined by a veth pair.
#   lab/netns.sh up   SUFFIX   -> namespaces ppp-ac-SUFFIX / ppp-cl-SUFFIX, each with veth0
#   lab/netns.sh down SUFFIX
set -euo pipefail
action=${1:?up or down}
suffix=${2:?suffix}
ac=ppp-ac-$suffix
cl=ppp-cl-$suffix

case $action in
up)
    ip netns add "$ac"
    ip netns add "$cl"
    # Created straight inside the namespaces, so names never collide between labs.
    ip link add veth0 netns "$ac" type veth peer name veth0 netns "$cl"
    for ns in "$ac" "$cl"; do
        ip -n "$ns" link set lo up
        ip -n "$ns" link set veth0 up
    done
    ;;
down)
    ip netns del "$ac" 2>/dev/null || true
    ip netns del "$cl" 2>/dev/null || true
    ;;
*)
    echo "usage: $0 up|down SUFFIX" >&2
    exit 2
    ;;
esac
