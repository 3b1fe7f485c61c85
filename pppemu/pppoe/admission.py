"""Discovery admission at the AC: token buckets that keep a flood of PADIs and PADRs
from costing more than a bounded share of the AC's time.

Checked on the raw frame, before anything is decoded, so a flood is dropped for the
price of a few byte comparisons:

- overall: at most `rate` PADIs answered per second, in bursts of `rate`; PADRs are
  counted against a bucket of their own only once their cookie has proved genuine
  (`padr_ok`), so forged PADRs cannot use up the budget of real ones;
- per MAC: at most `mac_rate` PADIs + PADRs per second (bursts of MAC_BURST), so one
  host cannot take the overall budget;
- hosts that retry come first. A PADI refused for want of tokens leaves its MAC in a
  fixed-size table; when that MAC asks again it may use the half of the bucket that
  first-time MACs may not touch. A flood from random MACs never asks twice, so a
  real host, which retransmits its PADI, gets through even while the bucket is
  drained by the flood.
"""
from __future__ import annotations

from array import array
from collections import Counter

from pppemu.wire import const as C
from pppemu.wire.ethernet import TAG_TPIDS, tags_end, vlan_key

MAC_BURST = 10            # discovery frames a MAC may send at once
# MACs remembered as refused: 32 MiB, taken only once the budget first runs dry. A host
# retransmits after 1, 2, 4 s: at 500,000 PADIs/s its slot survives 1 s with p = 0.88,
# 4 s with p = 0.6, so nearly every host gets back in within its five PADIs.
RETRY_SLOTS = 1 << 22
IDLE_MAC = 10.0           # seconds after which a quiet MAC's bucket is full again, so forgotten
MAX_TRACKED = 100_000     # per-MAC buckets kept at most (about 20 MiB)
_SLOT_MASK = RETRY_SLOTS - 1
_TAKEN = 1 << 48          # marks a used slot (MAC 00:00:00:00:00:00 is a MAC too)


class TokenBucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp = 0.0

    def take(self, now: float, keep: float = 0.0) -> bool:
        """Spend one token if that leaves at least `keep` in the bucket."""
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        if self.tokens - 1 < keep:
            return False
        self.tokens -= 1
        return True


class DiscoveryGuard:
    """Decides, from the raw frame, whether a PADI or PADR is worth decoding and answering."""

    def __init__(self, rate: float, mac_rate: float, counters: Counter):
        self.rate, self.mac_rate, self.counters = rate, mac_rate, counters
        burst = max(rate, 2.0)  # room for a first-time host beside the half kept for hosts that retry
        self.overall = {C.PADI: TokenBucket(rate, burst), C.PADR: TokenBucket(rate, burst)}
        self._padi_bucket = self.overall[C.PADI]
        self._first_time_floor = burst / 2  # the half of the bucket kept for hosts that retry
        self.per_mac: dict[bytes, TokenBucket] = {}  # by MAC and tag stack
        self._refused: array | None = None
        self._sweep_at = 0.0

    def admit(self, frame: bytes, now: float, offset: int | None = None) -> bool:
        """`offset`: where the frame's ethertype is, past its VLAN tags, if the caller knows."""
        if offset is None:
            offset = tags_end(frame)
        if frame[offset:offset + 2] in TAG_TPIDS:
            self.counters["rx.too_many_vlan_tags"] += 1  # more than any access network stacks
            return False
        if frame[offset:offset + 2] != b"\x88\x63" or len(frame) < offset + 4:
            return True  # not discovery: not ours to judge
        code = frame[offset + 3]
        if code not in (C.PADI, C.PADR):
            return True  # PADT and strays: cheap, and handled on their merits
        # A host is its MAC on its line: the same MAC on two tag stacks is two hosts.
        host = frame[6:12] if offset == 12 else frame[6:12] + vlan_key(frame[12:offset])
        # A MAC already over its own rate is refused before it can spend the overall
        # budget: one flooding host must not take every other host's PADOs.
        known = self.per_mac.get(host) if self.mac_rate else None
        if known is not None and not known.take(now):
            self._refuse_mac(code)
            return False
        if code == C.PADI and self.rate and not self._padi(frame[6:12], now):
            self.counters["padi.rate_limited"] += 1
            return False
        if self.mac_rate and known is None and not self._mac(host, now):
            self._refuse_mac(code)
            return False
        return True

    def _refuse_mac(self, code: int) -> None:
        self.counters["padi.mac_rate_limited" if code == C.PADI else "padr.mac_rate_limited"] += 1

    def padr_ok(self, now: float) -> bool:
        """A PADR with a genuine cookie: within the overall rate?"""
        if not self.rate or self.overall[C.PADR].take(now):
            return True
        self.counters["padr.rate_limited"] += 1
        return False

    def _padi(self, mac: bytes, now: float) -> bool:
        # The hot path of a flood: a few hundred nanoseconds per PADI, no allocation kept.
        bucket = self._padi_bucket
        refused = self._refused
        if refused is None:
            if bucket.take(now, self._first_time_floor):
                return True  # no pressure yet: nothing to remember
            refused = self._refused = array("Q", bytes(8 * RETRY_SLOTS))
        slot = hash(mac) & _SLOT_MASK  # bytes hashing is keyed per process: slots cannot be aimed at
        marked = int.from_bytes(mac, "big") | _TAKEN
        if refused[slot] == marked:
            if bucket.take(now):
                refused[slot] = 0
                return True
            return False
        if bucket.take(now, self._first_time_floor):
            return True
        refused[slot] = marked
        return False

    def _mac(self, host: bytes, now: float) -> bool:
        bucket = self.per_mac.get(host)
        if bucket is None:
            if now >= self._sweep_at or len(self.per_mac) >= MAX_TRACKED:
                self._sweep(now)
            bucket = self.per_mac[host] = TokenBucket(self.mac_rate, MAC_BURST)
        return bucket.take(now)

    def _sweep(self, now: float) -> None:
        """Forget the buckets of MACs that have been quiet long enough to be full again."""
        self.per_mac = {m: b for m, b in self.per_mac.items() if now - b.stamp < IDLE_MAC}
        if len(self.per_mac) >= MAX_TRACKED // 2:  # half: the next sweep is far off, O(1) per MAC
            # Only without an overall limit can this many MACs get here: forgetting them
            # makes the limit more lenient for a while, and keeps memory bounded.
            self.per_mac.clear()
            self.counters["discovery.mac_buckets_reset"] += 1
        self._sweep_at = now + IDLE_MAC
