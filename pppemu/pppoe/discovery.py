"""PPPoE discovery (RFC 2516 section 5): the host side and the AC's stateless pieces."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from pppemu.wire import const as C
from pppemu.wire.ethernet import BROADCAST
from pppemu.wire.pppoe import Discovery

ERROR_NAMES = {C.TAG_SERVICE_NAME_ERROR: "Service-Name-Error", C.TAG_AC_SYSTEM_ERROR: "AC-System-Error",
               C.TAG_GENERIC_ERROR: "Generic-Error"}
SendDiscovery = Callable[[bytes, Discovery], None]  # (destination MAC, packet)


def describe_error(pkt: Discovery) -> str | None:
    err = pkt.error()
    if err is None:
        return None
    text = err[1].decode(errors="replace")
    return f"{ERROR_NAMES[err[0]]}: {text}" if text else ERROR_NAMES[err[0]]


def line_id_tag(circuit_id: str = "", remote_id: str = "") -> tuple[int, bytes]:
    """A Broadband Forum Vendor-Specific tag carrying Agent-Circuit-Id/Remote-Id (RFC 4679)."""
    body = b""
    for sub, text in ((C.BBF_CIRCUIT_ID, circuit_id), (C.BBF_REMOTE_ID, remote_id)):
        if text:
            raw = text.encode()
            body += bytes((sub, len(raw))) + raw
    return C.TAG_VENDOR_SPECIFIC, struct.pack("!I", C.BBF_VENDOR_ID) + body


def parse_line_id(pkt: Discovery) -> dict[str, str]:
    """Agent-Circuit-Id / Agent-Remote-Id from a Broadband Forum Vendor-Specific tag."""
    found = {}
    for value in pkt.all_tags(C.TAG_VENDOR_SPECIFIC):
        if len(value) < 4 or struct.unpack_from("!I", value)[0] != C.BBF_VENDOR_ID:
            continue
        offset = 4
        while offset + 2 <= len(value):
            sub, size = value[offset], value[offset + 1]
            text = value[offset + 2:offset + 2 + size].decode(errors="replace")
            if sub == C.BBF_CIRCUIT_ID:
                found["circuit_id"] = text
            elif sub == C.BBF_REMOTE_ID:
                found["remote_id"] = text
            offset += 2 + size
    return found


class DiscoveryState(StrEnum):
    """Where the host side of discovery stands."""
    IDLE = "idle"
    PADI_SENT = "padi"        # waiting for a PADO
    PADR_SENT = "padr"        # waiting for the PADS
    SESSION = "session"       # the PADS gave us a session id
    FAILED = "failed"         # `failure` says why


@dataclass
class DiscoveryTimers:
    timeout: float = 1.0       # first PADI/PADR timeout, doubled on each retry
    max_timeout: float = 8.0
    padi_tries: int = 5
    padr_tries: int = 4
    rounds: int = 3            # PADR failures fall back to PADI this many times


class DiscoveryClient:
    """The host side: PADI -> PADO -> PADR -> PADS, with retransmission and backoff."""

    def __init__(self, mac: bytes, host_uniq: bytes, send: SendDiscovery, *,
                 service_name: str = "", ac_name: str | None = None,
                 max_payload: int | None = None, extra_tags: tuple = (),
                 timers: DiscoveryTimers | None = None):
        self.mac, self.host_uniq, self.send = mac, host_uniq, send
        self.service_name = service_name.encode()
        self.ac_name_filter = ac_name
        self.max_payload = max_payload
        self.extra_tags = list(extra_tags)
        self.timers = timers or DiscoveryTimers()
        self.state = DiscoveryState.IDLE
        self.deadline: float | None = None
        self.tries = 0
        self.round = 0
        self.retransmits = 0
        self.ac_mac = b""
        self.ac_name = ""
        self.session_id = 0
        self.peer_max_payload: int | None = None
        self.failure = ""
        self._padr_tags: list[tuple[int, bytes]] = []
        self.started_at = 0.0

    def start(self, now: float) -> None:
        self.started_at = now
        self.round += 1
        self.state, self.tries = DiscoveryState.PADI_SENT, 0
        self._send_padi(now)

    def _timeout(self) -> float:
        return min(self.timers.timeout * (2 ** (self.tries - 1)), self.timers.max_timeout)

    def _common_tags(self) -> list[tuple[int, bytes]]:
        tags = [(C.TAG_SERVICE_NAME, self.service_name), (C.TAG_HOST_UNIQ, self.host_uniq)]
        if self.max_payload and self.max_payload > C.PPPOE_MRU:
            tags.append((C.TAG_PPP_MAX_PAYLOAD, struct.pack("!H", self.max_payload)))
        return tags + self.extra_tags

    def _send_padi(self, now: float) -> None:
        self.tries += 1
        self.send(BROADCAST, Discovery(C.PADI, 0, self._common_tags()))
        self.deadline = now + self._timeout()

    def _send_padr(self, now: float) -> None:
        self.tries += 1
        self.send(self.ac_mac, Discovery(C.PADR, 0, self._padr_tags))
        self.deadline = now + self._timeout()

    def tick(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        if self.state == DiscoveryState.PADI_SENT:
            if self.tries >= self.timers.padi_tries:
                self._fail("no PADO: no access concentrator answered" if self.round == 1
                           else "no PADS: the access concentrator stopped answering")
            else:
                self.retransmits += 1
                self._send_padi(now)
        elif self.state == DiscoveryState.PADR_SENT:
            if self.tries < self.timers.padr_tries:
                self.retransmits += 1
                self._send_padr(now)
            elif self.round < self.timers.rounds:
                self.start(now)  # back to PADI (RFC 2516 section 5.5 leaves the choice to us)
            else:
                self._fail("no PADS: the access concentrator did not confirm the session")

    def _fail(self, reason: str) -> None:
        self.state, self.failure, self.deadline = DiscoveryState.FAILED, reason, None

    def receive(self, src: bytes, pkt: Discovery, now: float) -> None:
        if pkt.tag(C.TAG_HOST_UNIQ) != self.host_uniq:
            return
        if pkt.code == C.PADO and self.state == DiscoveryState.PADI_SENT:
            self._on_pado(src, pkt, now)
        elif pkt.code == C.PADS and self.state == DiscoveryState.PADR_SENT and src == self.ac_mac:
            error = describe_error(pkt)
            if error or pkt.session_id in (0, 0xFFFF):
                self._fail(f"AC refused the session: {error or f'PADS with session id {pkt.session_id}'}")
            else:
                self.session_id = pkt.session_id
                self.state, self.deadline = DiscoveryState.SESSION, None

    def _on_pado(self, src: bytes, pkt: Discovery, now: float) -> None:
        if pkt.error():
            return  # a PADO carrying an error is no offer
        ac_name = (pkt.tag(C.TAG_AC_NAME) or b"").decode(errors="replace")
        if self.ac_name_filter and ac_name != self.ac_name_filter:
            return
        services = pkt.all_tags(C.TAG_SERVICE_NAME)
        if self.service_name and self.service_name not in services:
            return
        self.ac_mac, self.ac_name = src, ac_name
        payload = pkt.tag(C.TAG_PPP_MAX_PAYLOAD)
        if payload and len(payload) == 2 and self.max_payload:
            self.peer_max_payload = min(struct.unpack("!H", payload)[0], self.max_payload)
        tags = self._common_tags()
        for echoed in (C.TAG_AC_COOKIE, C.TAG_RELAY_SESSION_ID):
            value = pkt.tag(echoed)
            if value is not None:
                tags.append((echoed, value))
        self._padr_tags = tags
        self.state, self.tries = DiscoveryState.PADR_SENT, 0
        self._send_padr(now)

    def padt(self, reason: str = "") -> Discovery:
        tags = [(C.TAG_HOST_UNIQ, self.host_uniq)]
        if reason:
            tags.append((C.TAG_GENERIC_ERROR, reason.encode()))
        return Discovery(C.PADT, self.session_id, tags)


Opened = TypeVar("Opened")  # what a redeemed cookie opened (the AC's session)


class CookieJar(Generic[Opened]):
    """AC-Cookies that cost no memory until a PADR redeems one.

    A cookie is a nonce and an HMAC over the nonce, the host's MAC, its Host-Uniq and
    a coarse time window: a PADI flood therefore costs no state, a cookie works only
    for the MAC and Host-Uniq it was minted for, in the current or the previous window,
    and each PADO carries a new one. A redeemed cookie is remembered (with the session
    it opened) until it expires, so it opens one session only.
    """

    NONCE = 8
    DIGEST = 16

    def __init__(self, key: bytes, window: float = 60.0):
        self.key, self.window = key, window
        self._nonces = itertools.count(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
        self._spent: dict[int, dict[bytes, Opened]] = {}  # window -> cookie -> what it opened

    def _digest(self, nonce: bytes, mac: bytes, host_uniq: bytes, epoch: int) -> bytes:
        message = nonce + mac + struct.pack("!qH", epoch, len(host_uniq)) + host_uniq
        return hmac.new(self.key, message, hashlib.sha256).digest()[:self.DIGEST]

    def make(self, mac: bytes, host_uniq: bytes | None, now: float) -> bytes:
        nonce = (next(self._nonces) & (1 << 64) - 1).to_bytes(self.NONCE, "big")
        return nonce + self._digest(nonce, mac, host_uniq or b"", int(now // self.window))

    def epoch(self, mac: bytes, host_uniq: bytes | None, cookie: bytes | None, now: float) -> int | None:
        """The window a genuine, unexpired cookie was minted in; None for any other."""
        if cookie is None or len(cookie) != self.NONCE + self.DIGEST:
            return None
        nonce, digest = cookie[:self.NONCE], cookie[self.NONCE:]
        current = int(now // self.window)
        for epoch in (current, current - 1):
            if hmac.compare_digest(digest, self._digest(nonce, mac, host_uniq or b"", epoch)):
                return epoch
        return None

    def valid(self, mac: bytes, host_uniq: bytes | None, cookie: bytes | None, now: float) -> bool:
        return self.epoch(mac, host_uniq, cookie, now) is not None

    def spent(self, cookie: bytes, epoch: int) -> Opened | None:
        """What a redeemed cookie opened, or None if it was never redeemed."""
        return self._spent.get(epoch, {}).get(cookie)

    def spend(self, cookie: bytes, epoch: int, opened: Opened, now: float) -> None:
        current = int(now // self.window)
        for old in [e for e in self._spent if e < current - 1]:
            del self._spent[old]  # expired cookies cannot come back: forget them
        self._spent.setdefault(epoch, {})[cookie] = opened

    @property
    def remembered(self) -> int:
        return sum(len(spent) for spent in self._spent.values())


def echo_tags(request: Discovery) -> list[tuple[int, bytes]]:
    """The tags an AC must return unchanged: Host-Uniq and Relay-Session-Id."""
    return [(t, v) for t, v in request.tags if t in (C.TAG_HOST_UNIQ, C.TAG_RELAY_SESSION_ID)]
