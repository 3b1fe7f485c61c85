"""Subscribers on VLANs: the tag stacks a client puts its sessions on, and the ones an AC serves.

Access networks put each line on its own tag stack (1:1, usually QinQ: an S-VLAN per
access node, a C-VLAN per line) or many lines on one (N:1, told apart by MAC). The
stacks are written into the frames in user space, so thousands of VLANs need no
kernel sub-interface each.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pppemu.errors import ConfigError
from pppemu.wire.const import ETH_QINQ, ETH_VLAN, PPPOE_OVERHEAD
from pppemu.wire.ethernet import encode_tags, vlan_ids

VID_MIN, VID_MAX = 1, 4094  # 0 means priority-tagged only, 4095 is reserved (IEEE 802.1Q)
VLAN_ALLOWANCE = 4  # what Linux lets a frame carry beyond the MTU: one 802.1Q tag
VidRange = tuple[int, int]   # first and last VLAN id, both included


class VlanError(ConfigError):
    """A tag stack that cannot be: one clear line for the user."""


class VlanMode(StrEnum):
    one_to_one = "1:1"  # a tag stack per session, stepping through the ranges
    many_to_one = "N:1"  # every session on one tag stack


def parse_vid_range(text: str, option: str = "VLAN") -> VidRange:
    """"100" or "100-199": VLAN ids from 1 to 4094."""
    first, dash, last = text.strip().partition("-")
    try:
        low, high = int(first), int(last if dash else first)
    except ValueError:
        raise VlanError(f"{option} {text!r}: give a VLAN id or a range such as 100-199") from None
    if not VID_MIN <= low <= high <= VID_MAX:
        raise VlanError(f"{option} {text!r}: VLAN ids run from {VID_MIN} to {VID_MAX}, the first no higher "
                        "than the last")
    return low, high


def _in(vid: int, vids: VidRange) -> bool:
    return vids[0] <= vid <= vids[1]


@dataclass(frozen=True)
class VlanPlan:
    """The client's tag stacks: one tag (outer only) or two (outer and inner)."""
    outer: VidRange
    inner: VidRange | None = None
    mode: VlanMode = VlanMode.one_to_one
    outer_tpid: int | None = None  # None: 802.1ad (0x88a8) above a C-VLAN, 802.1Q (0x8100) alone
    priority: int = 0              # the PCP bits of every tag

    def __post_init__(self) -> None:
        if not 0 <= self.priority <= 7:
            raise VlanError(f"VLAN priority {self.priority}: PCP runs from 0 to 7")
        if self.mode == VlanMode.many_to_one and self.stacks != 1:
            raise VlanError("N:1 puts every session on one tag stack: give single VLAN ids, not ranges")

    @property
    def tpid(self) -> int:
        if self.outer_tpid is not None:
            return self.outer_tpid
        return ETH_QINQ if self.inner is not None else ETH_VLAN

    @property
    def stacks(self) -> int:
        """How many distinct tag stacks the ranges hold."""
        inner = self.inner[1] - self.inner[0] + 1 if self.inner else 1
        return (self.outer[1] - self.outer[0] + 1) * inner

    def check_sessions(self, sessions: int) -> None:
        if self.mode == VlanMode.one_to_one and sessions > self.stacks:
            raise VlanError(f"1:1 puts each session on its own tag stack: {sessions} sessions need {sessions} "
                            f"stacks, the VLAN ranges hold {self.stacks}")

    def tags(self, index: int) -> bytes:
        """The tag stack of session `index` (from 0): in 1:1 the inner id steps fastest."""
        if self.mode == VlanMode.many_to_one:
            index = 0
        pcp = self.priority << 13
        if self.inner is None:
            return encode_tags(((self.tpid, pcp | (self.outer[0] + index)),))
        width = self.inner[1] - self.inner[0] + 1
        outer, inner = self.outer[0] + index // width, self.inner[0] + index % width
        return encode_tags(((self.tpid, pcp | outer), (ETH_VLAN, pcp | inner)))


def describe_vlans(plan: VlanPlan, sessions: int) -> str:
    """The stacks a run uses, as people write them: "VLAN 100.7 to 109.100 (1:1, TPID 0x88a8)"."""
    first, last = (".".join(map(str, vlan_ids(plan.tags(n)))) for n in (0, sessions - 1))
    where = f"VLAN {first}" if first == last else f"VLANs {first} to {last}"
    return f"{where} ({plan.mode.value}, TPID 0x{plan.tpid:04x}, priority {plan.priority})"


def payload_room(mtu: int, tags: bytes) -> tuple[int, int]:
    """The largest PPP payloads an interface of this MTU carries on this tag stack: (sent,
    received). Linux sends a frame up to the MTU, 4 bytes more if its outer tag is 802.1Q,
    and takes in 4 bytes more whatever the tags; beyond that a frame is refused or dropped."""
    outer_dot1q = tags[:2] == ETH_VLAN.to_bytes(2, "big")
    sent = mtu + (VLAN_ALLOWANCE if outer_dot1q else 0) - len(tags) - PPPOE_OVERHEAD
    return sent, mtu + VLAN_ALLOWANCE - len(tags) - PPPOE_OVERHEAD


@dataclass(frozen=True)
class VlanFilter:
    """The tag stacks an AC serves; an unset level takes any id, or none (untagged). The
    reserved VLAN id 4095 is never served."""
    outer: VidRange | None = None
    inner: VidRange | None = None

    @property
    def open(self) -> bool:
        return self.outer is None and self.inner is None

    def serves(self, tags: bytes) -> bool:
        vids = vlan_ids(tags)
        if VID_MAX + 1 in vids:
            return False
        if self.open:
            return True
        if self.outer is not None and not (vids and _in(vids[0], self.outer)):
            return False
        return self.inner is None or (len(vids) >= 2 and _in(vids[1], self.inner))
