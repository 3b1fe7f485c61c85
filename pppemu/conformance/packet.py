"""A PPP packet in context: which session, who sent it, who receives it."""
from __future__ import annotations

from dataclasses import dataclass

from pppemu.conformance.model import Frame, Peer, Session
from pppemu.wire import Control


@dataclass(slots=True)
class Ppp:
    frame: Frame
    session: Session
    sender: Peer
    receiver: Peer
    protocol: int
    info: bytes
    control: Control | None = None              # LCP and NCP packets
    options: list[tuple[int, bytes]] | None = None  # Configure-Request/Ack/Nak/Reject, when well formed

    @property
    def side(self) -> str:
        return self.session.side(self.sender.mac)

    @property
    def label(self) -> str:
        return self.session.label(self.frame.src, self.frame.dst)

    @property
    def ts(self) -> float:
        return self.frame.ts

    @property
    def number(self) -> int:
        return self.frame.number


@dataclass(slots=True)
class ControlPpp(Ppp):
    """An LCP or NCP packet that decoded as a control packet: what the control rules judge."""
    control: Control


def option(options: list[tuple[int, bytes]] | None, opt_type: int) -> bytes | None:
    """The value of the first option of this type, or None."""
    for t, v in options or ():
        if t == opt_type:
            return v
    return None
