"""`--conformance`: the checker's verdict on a live run, for the console and the JSON report."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict

from pppemu.conformance import Checker, Violation, format_report


def live_checker(enabled: bool) -> Checker | None:
    return Checker() if enabled else None


def report_section(violations: list[Violation]) -> dict:
    return {"violations": len(violations),
            "by_side": dict(Counter(v.side for v in violations)),
            "by_rule": dict(Counter(v.rule for v in violations)),
            "details": [asdict(v) for v in violations]}


def summary(violations: list[Violation]) -> str:
    """One line when all is well, else the count per side and the report itself."""
    if not violations:
        return "conformance: no RFC violations seen (either side)"
    sides = ", ".join(f"{side} {n}" for side, n in sorted(Counter(v.side for v in violations).items()))
    return f"conformance: {len(violations)} RFC violation(s) ({sides})\n{format_report(violations)}"
