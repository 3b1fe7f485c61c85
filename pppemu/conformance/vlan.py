"""VLAN tag stacks (IEEE 802.1Q, 802.1ad, QinQ): the AC answers a host on the stack the host used.

Hosts and sessions are keyed by their stack of VLAN ids, so one MAC on two stacks is two
subscribers (1:1 VLANs may reuse MACs). An answer from the AC on a stack where its host asked
nothing is looked for on the other stacks that host MAC used; found there, it is reported once
and then judged as if it had come on the right stack, so no other rule trips over it.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, rule
from pppemu.conformance.model import AC, Frame, Host, Sent, Session, pair_label
from pppemu.wire.const import PADO, TAG_HOST_UNIQ

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

SAME_STACK = rule("rfc2516.vlan.same_stack", "RFC 2516 §5, IEEE 802.1Q", MUST,
                  "the AC's PADO, PADS, PADT and session traffic carry the VLAN stack the host used")

PER_MAC = 8  # stacks remembered per host MAC; past it only the cross-stack search weakens, never the keys


def stack_name(vlan: tuple[int, ...]) -> str:
    return "vlan " + ".".join(str(v) for v in vlan) if vlan else "no VLAN"


def learn(chk: Checker, f: Frame) -> None:
    """The host f.src sent discovery on f.vlan: remember the stack, latest last."""
    known = chk.stacks.get(f.src, ())
    if known[-1:] == (f.vlan,):
        return
    chk.remember(chk.stacks, f.src, (*(s for s in known if s != f.vlan), f.vlan)[-PER_MAC:])


def discovery_answer(chk: Checker, f: Frame, code: int, tags: list[tuple[int, bytes]]) -> Frame:
    """A PADO or PADS from the AC: the frame as carried on the stack of the request it answers."""
    uniq = [v for t, v in tags if t == TAG_HOST_UNIQ][:1]
    if _request(chk.hosts.get((f.vlan, f.dst)), code, f.src, uniq) is not None:
        return f
    for stack in reversed(chk.stacks.get(f.dst, ())):
        request = _request(chk.hosts.get((stack, f.dst)), code, f.src, uniq)
        if stack != f.vlan and request is not None:
            name, asked = ("PADO", "PADI") if code == PADO else ("PADS", "PADR")
            chk.report(SAME_STACK, (request.frame.number, f.number), pair_label(f.dst, f.src, stack), AC,
                       f"{name} on {stack_name(f.vlan)} answers a {asked} that came on {stack_name(stack)}")
            return replace(f, vlan=stack)
    return f


def _request(host: Host | None, code: int, ac: bytes, uniq: list[bytes]) -> Sent | None:
    """The host's latest PADI (for a PADO) or PADR to this AC (for a PADS) the answer may be for:
    with the answer's Host-Uniq when it carries one, since that is what ties them together."""
    if host is None:
        return None
    recent = host.padis if code == PADO else host.padrs.get(ac)
    return recent.newest(uniq[0] if uniq else None) if recent else None


def session_elsewhere(chk: Checker, f: Frame, sid: int, what: str) -> Session | None:
    """A frame on a stack where its session is unknown: when it comes from the AC of the same
    session on another stack of the host's, that session, the stray stack reported once."""
    a, b = (f.src, f.dst) if f.src < f.dst else (f.dst, f.src)
    for stack in reversed(chk.stacks.get(f.dst, ())):
        session = chk.sessions.get((stack, a, b, sid)) if stack != f.vlan else None
        if session is None or (session.ac, session.client) != (f.src, f.dst):
            continue
        if f.vlan not in session.strays:
            session.strays += (f.vlan,)
            chk.report(SAME_STACK, (session.pads_frame, f.number), session.label(f.src, f.dst), AC,
                       f"{what} on {stack_name(f.vlan)} for session 0x{sid:04x}, which the host set up on "
                       f"{stack_name(stack)}")
        return session
    return None
