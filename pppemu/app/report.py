"""The JSON report: every session, the counters, setup times and failure reasons."""
from __future__ import annotations

import json
import os
import platform
from collections import Counter

from pppemu.wire.ethernet import mac_str, vlan_ids


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def session_record(s) -> dict:
    """One session, as both ends report it."""
    ppp = s.ppp
    return {
        "number": s.key.number,
        "mac": s.key.mac,
        "vlan": list(vlan_ids(s.tags)) or None,  # VLAN ids, outermost first
        "vlan_tpids": [f"0x{s.tags[i]:02x}{s.tags[i + 1]:02x}" for i in range(0, len(s.tags), 4)] or None,
        "session_id": s.session_id or None,
        "peer_mac": mac_str(s.peer_mac) if s.peer_mac else None,
        "ac_name": s.discovery.ac_name or None if s.discovery is not None else None,
        "state": s.state,
        "username": s.username,
        "circuit_id": s.line_id.get("circuit_id"),
        "remote_id": s.line_id.get("remote_id"),
        "address": s.address,
        "gateway": s.gateway,
        "dns": s.dns,
        "address6": s.address6,
        "prefix6": str(s.prefix6) if s.prefix6 else None,
        "dns6": s.dns6,
        "na_address6": s.na_address6,
        "delegated6": s.delegated6,
        "mru": ppp.lcp_policy.tx_mtu if ppp is not None and ppp.lcp.opened else None,
        "setup_ms": round((s.up_at - s.started_at) * 1000, 3) if s.up_at is not None else None,
        "ipv6_ms": round((s.ipv6_at - s.started_at) * 1000, 3) if s.ipv6_at is not None else None,
        "retransmissions": s.retransmissions,
        "reason": s.down_reason or None,
    }


def build(role, kind: str, extra: dict | None = None) -> dict:
    sessions = [session_record(s) for s in role.every_session()]
    setup = [s["setup_ms"] for s in sessions if s["setup_ms"] is not None]
    reasons = Counter(s["reason"] for s in sessions if s["reason"] and s["setup_ms"] is None)
    report = {
        "role": kind,
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "summary": {
            "sessions": len(sessions),
            "established": len(setup),
            "failed": sum(reasons.values()),
            "setup_ms": {"min": min(setup, default=None), "p50": percentile(setup, 0.5),
                         "p95": percentile(setup, 0.95), "p99": percentile(setup, 0.99),
                         "max": max(setup, default=None)},
            "failure_reasons": dict(reasons),
            "retransmissions": sum(s["retransmissions"] for s in sessions),
        },
        "counters": dict(sorted(role.counters.items())),
        "sessions": sessions,
    }
    if extra:
        report.update(extra)
    return report


def write(path: str, report: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
