"""The rule catalogue and the violation record."""
from __future__ import annotations

from dataclasses import dataclass

MUST = "MUST"
SHOULD = "SHOULD"


@dataclass(frozen=True)
class Rule:
    id: str
    rfc: str
    level: str
    summary: str


@dataclass(frozen=True)
class Violation:
    rule: str
    rfc: str
    level: str
    frames: tuple[int, ...]
    session: str
    side: str
    message: str


RULES: dict[str, Rule] = {}


def rule(rule_id: str, rfc: str, level: str, summary: str) -> str:
    """Declare a rule once, next to the code that checks it; returns its id."""
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} declared twice")
    if level not in (MUST, SHOULD):
        raise ValueError(f"rule {rule_id}: level {level!r}")
    RULES[rule_id] = Rule(rule_id, rfc, level, summary)
    return rule_id
