"""CHAP-MD5 (RFC 1994) and PAP (RFC 1334): both the authenticator and the peer side.

Each object is sans-IO: it sends through ``send(info_bytes)``, takes ``now``, exposes a
``deadline``, and ends with ``result`` set to True (success) or False (``reason`` says why).
What the session relies on is the :class:`AuthExchange` protocol.
"""
from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from pppemu.wire import const as C
from pppemu.wire.auth import Chap, Pap, decode_chap, decode_pap, encode_chap, encode_pap
from pppemu.wire.errors import DecodeError

SecretLookup = Callable[[bytes], "bytes | None"]  # peer name -> secret (None: unknown)


def failure(kind: str, peer_name: str, lookup: SecretLookup) -> str:
    """Why a peer failed: a lookup keyed by something other than the name (the subscriber's
    line, say) tells what in its `keyed_by`, so the operator checks the right entry."""
    keyed_by = getattr(lookup, "keyed_by", None)
    return f"{kind} failure for {peer_name!r}" + (f": not the secret of {keyed_by}" if keyed_by else "")
SendFn = Callable[[bytes], None]  # sends one CHAP or PAP packet


class AuthKind(StrEnum):
    """An authentication protocol we speak; equal to its name, so 'chap' and 'pap' from
    the configuration compare and hash the same."""

    CHAP = "chap"
    PAP = "pap"


class AuthExchange(Protocol):
    """One side of CHAP or PAP, as the session drives it: started once LCP is up, fed
    packets of its PROTOCOL and ticks, finished when ``result`` is True or False."""

    PROTOCOL: ClassVar[int]
    deadline: float | None
    result: bool | None
    reason: str
    peer_name: str
    retransmits: int

    def start(self, now: float) -> None: ...
    def tick(self, now: float) -> None: ...
    def receive(self, info: bytes, now: float) -> None: ...


def chap_md5(ident: int, secret: bytes, challenge: bytes) -> bytes:
    return hashlib.md5(bytes((ident,)) + secret + challenge).digest()


class _Auth:
    """What the four sides share: the send function, the retry budget and the outcome."""

    def __init__(self, send: SendFn, *, timeout: float = 3.0, max_tries: int = 10):
        self.send = send
        self.timeout = timeout
        self.max_tries = max_tries
        self.deadline: float | None = None
        self.result: bool | None = None
        self.reason = ""
        self.peer_name = ""
        self.retransmits = 0

    def _finish(self, ok: bool, reason: str = "") -> None:
        if self.result is None:
            self.result, self.reason = ok, reason
        self.deadline = None


class ChapAuthenticator(_Auth):
    """The AC side: challenge, verify the response against the secrets, Success/Failure."""

    PROTOCOL: ClassVar[int] = C.PROTO_CHAP

    def __init__(self, send: SendFn, lookup: SecretLookup, rng: random.Random, name: bytes = b"pppemu",
                 **kw: Any):
        super().__init__(send, **kw)
        self.lookup, self.rng, self.name = lookup, rng, name
        self.ident = rng.randrange(256)
        self.challenge = b""
        self.tries = 0
        self._answer = b""  # Success/Failure already sent, resent on a repeated Response

    def start(self, now: float) -> None:
        self.challenge = self.rng.randbytes(16)
        self._send_challenge(now)

    def _send_challenge(self, now: float) -> None:
        self.tries += 1
        self.send(encode_chap(Chap(C.CHAP_CHALLENGE, self.ident, self.challenge, self.name)))
        self.deadline = now + self.timeout

    def tick(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        if self.tries >= self.max_tries:
            self._finish(False, "no CHAP response from the peer")
        else:
            self.retransmits += 1
            self._send_challenge(now)

    def receive(self, info: bytes, now: float) -> None:
        try:
            pkt = decode_chap(info)
        except DecodeError:
            return
        if pkt.code != C.CHAP_RESPONSE or pkt.ident != self.ident:
            return
        if self._answer:
            self.send(self._answer)  # our Success/Failure was lost
            return
        self.peer_name = pkt.name.decode(errors="replace")
        secret = self.lookup(pkt.name)
        ok = secret is not None and hmac.compare_digest(
            pkt.value, chap_md5(self.ident, secret, self.challenge))
        code = C.CHAP_SUCCESS if ok else C.CHAP_FAILURE
        message = b"Access granted" if ok else b"Authentication failed"
        self._answer = encode_chap(Chap(code, self.ident, message=message))
        self.send(self._answer)
        self._finish(ok, "" if ok else failure("CHAP", self.peer_name, self.lookup))


class PapAuthenticator(_Auth):
    """The AC side of PAP: wait for Authenticate-Request, check it, Ack or Nak."""

    PROTOCOL: ClassVar[int] = C.PROTO_PAP

    def __init__(self, send: SendFn, lookup: SecretLookup, **kw: Any):
        super().__init__(send, **kw)
        self.lookup = lookup
        self._answer = b""

    def start(self, now: float) -> None:
        self.deadline = now + self.timeout * self.max_tries

    def tick(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            self._finish(False, "no PAP Authenticate-Request from the peer")

    def receive(self, info: bytes, now: float) -> None:
        try:
            pkt = decode_pap(info)
        except DecodeError:
            return
        if pkt.code != C.PAP_REQUEST:
            return
        if self._answer:  # a retransmitted request: our answer was lost (RFC 1334 section 2.2.1)
            self.send(self._answer[:1] + bytes((pkt.ident,)) + self._answer[2:])
            return
        self.peer_name = pkt.peer_id.decode(errors="replace")
        secret = self.lookup(pkt.peer_id)
        ok = secret is not None and hmac.compare_digest(pkt.password, secret)
        code = C.PAP_ACK if ok else C.PAP_NAK
        message = b"Login ok" if ok else b"Login incorrect"
        self._answer = encode_pap(Pap(code, pkt.ident, message=message))
        self.send(self._answer)
        self._finish(ok, "" if ok else failure("PAP", self.peer_name, self.lookup))


class ChapPeer(_Auth):
    """The client side of CHAP: answer each Challenge, wait for Success or Failure.

    A lost Success would strand us, so the Response is repeated on a timer; the
    authenticator answers a repeated Response with its earlier verdict (RFC 1994 4.1).
    """

    PROTOCOL: ClassVar[int] = C.PROTO_CHAP

    def __init__(self, send: SendFn, username: bytes, password: bytes, **kw: Any):
        super().__init__(send, **kw)
        self.username, self.password = username, password
        self.response = b""
        self.tries = 0

    def start(self, now: float) -> None:
        self.deadline = now + self.timeout * self.max_tries  # waiting for a Challenge

    def tick(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        if self.response and self.tries < self.max_tries:
            self.tries += 1
            self.retransmits += 1
            self.send(self.response)
            self.deadline = now + self.timeout
        else:
            self._finish(False, "no CHAP challenge or result from the peer")

    def receive(self, info: bytes, now: float) -> None:
        try:
            pkt = decode_chap(info)
        except DecodeError:
            return
        if pkt.code == C.CHAP_CHALLENGE and self.result is None:
            self.peer_name = pkt.name.decode(errors="replace")
            value = chap_md5(pkt.ident, self.password, pkt.value)
            self.response = encode_chap(Chap(C.CHAP_RESPONSE, pkt.ident, value, self.username))
            self.send(self.response)
            self.tries = 1
            self.deadline = now + self.timeout
        elif pkt.code in (C.CHAP_SUCCESS, C.CHAP_FAILURE) and (not self.response or pkt.ident != self.response[1]):
            return  # RFC 1994 4.2: the verdict carries our Response's identifier; anything else is not ours
        elif pkt.code == C.CHAP_SUCCESS:
            self._finish(True)
        elif pkt.code == C.CHAP_FAILURE:
            text = pkt.message.decode(errors="replace")
            self._finish(False, f"CHAP authentication failed: {text}" if text else "CHAP authentication failed")


class PapPeer(_Auth):
    """The client side of PAP: send Authenticate-Request until Ack or Nak."""

    PROTOCOL: ClassVar[int] = C.PROTO_PAP

    def __init__(self, send: SendFn, username: bytes, password: bytes, rng: random.Random, **kw: Any):
        super().__init__(send, **kw)
        self.request = Pap(C.PAP_REQUEST, rng.randrange(256), peer_id=username, password=password)
        self.tries = 0

    def start(self, now: float) -> None:
        self._send_request(now)

    def _send_request(self, now: float) -> None:
        self.tries += 1
        self.send(encode_pap(self.request))
        self.deadline = now + self.timeout

    def tick(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        if self.tries >= self.max_tries:
            self._finish(False, "no PAP answer from the peer")
        else:
            self.retransmits += 1
            self._send_request(now)

    def receive(self, info: bytes, now: float) -> None:
        try:
            pkt = decode_pap(info)
        except DecodeError:
            return
        if pkt.ident != self.request.ident:
            return
        if pkt.code == C.PAP_ACK:
            self._finish(True)
        elif pkt.code == C.PAP_NAK:
            text = pkt.message.decode(errors="replace")
            self._finish(False, f"PAP authentication failed: {text}" if text else "PAP authentication failed")
