"""A human-readable report: violations grouped per session, then per side."""
from __future__ import annotations

from collections import defaultdict

from pppemu.conformance.catalog import Violation

_SIDE_ORDER = {"client": 0, "ac": 1, "unknown": 2}
_SIDE_NAMES = {"client": "client (PPPoE host)", "ac": "access concentrator", "unknown": "side unknown"}


def format_report(violations: list[Violation]) -> str:
    if not violations:
        return "No RFC violations found."
    by_session: dict[str, dict[str, list[Violation]]] = defaultdict(lambda: defaultdict(list))
    for v in violations:
        by_session[v.session][v.side].append(v)
    musts = sum(v.level == "MUST" for v in violations)
    lines = [f"{len(violations)} RFC violation{'s' if len(violations) != 1 else ''} "
             f"({musts} MUST, {len(violations) - musts} SHOULD) in {len(by_session)} "
             f"session{'s' if len(by_session) != 1 else ''}"]
    for session in sorted(by_session, key=lambda s: min(v.frames[:1] or (0,) for vs in by_session[s].values()
                                                         for v in vs)):
        lines.append("")
        lines.append(session)
        sides = by_session[session]
        for side in sorted(sides, key=lambda s: _SIDE_ORDER.get(s, 3)):
            lines.append(f"  {_SIDE_NAMES.get(side, side)}:")
            for v in sides[side]:
                frames = ", ".join(str(n) for n in v.frames) or "-"
                lines.append(f"    [{v.level}] {v.rfc} {v.rule} (frame {frames}): {v.message}")
    return "\n".join(lines)
