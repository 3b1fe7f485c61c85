"""Discovery admission at the AC: token buckets that keep a flood of PADIs and PADRs
from costing more than a bounded share of the AC's time.

Checked on the raw frame, before anything is decoded: a flood is dropped for the
price of a few byte comparisons. Three limits apply to PADI and PADR:

- overall, one bucket per code: at most `rate` answers per second, bursts of `rate`;
- per MAC: at most `mac_rate` per second (bursts of MAC_BURST), so one host cannot
  take the overall budget;
- hosts that retry come first. A PADI refused for want of tokens leaves its MAC in a
  fixed-size table; when that MAC asks again it may use the half of the bucket that
  first-time MACs may not touch. A flood from random MACs never asks twice, so a
  real host, which retransmits its PADI, gets through even while the bucket is
  drained by the flood.
"""
from __future__ import annotations

from array import array
from collections import Counter

from .wire import const as C

MAC_BURST = 10            # discovery frames a MAC may send at once
RETRY_SLOTS = 1 << 20     # MACs remembered as refused: 8 MiB, a few seconds of a heavy flood
IDLE_MAC = 10.0           # seconds after which a quiet MAC's bucket is full again, so forgotten
_TAKEN = 1 << 48          # marks a used slot (MAC 00:00:00:00:00:00 is a MAC too)
_VLAN_TPIDS = (b"\x81\x00", b"\x88\xa8", b"\x91\x00")


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
        self.overall = {C.PADI: TokenBucket(rate, rate), C.PADR: TokenBucket(rate, rate)}
        self.per_mac: dict[bytes, TokenBucket] = {}
        self._refused = array("Q", bytes(8 * RETRY_SLOTS)) if rate else array("Q")
        self._sweep_at = 0.0

    def admit(self, frame: bytes, now: float) -> bool:
        offset = 12
        while frame[offset:offset + 2] in _VLAN_TPIDS:
            offset += 4
        if frame[offset:offset + 2] != b"\x88\x63" or len(frame) < offset + 4:
            return True  # not discovery: not ours to judge
        code = frame[offset + 3]
        if code not in self.overall:
            return True  # PADT and strays: cheap, and handled on their merits
        mac = frame[6:12]
        if self.rate and not self._overall(code, mac, now):
            self.counters[f"{C.DISCOVERY_NAMES[code]}.rate_limited"] += 1
            return False
        if self.mac_rate and not self._mac(mac, now):
            self.counters[f"{C.DISCOVERY_NAMES[code]}.mac_rate_limited"] += 1
            return False
        return True

    def _overall(self, code: int, mac: bytes, now: float) -> bool:
        bucket = self.overall[code]
        if code != C.PADI:
            return bucket.take(now)
        slot = hash(mac) % RETRY_SLOTS  # bytes hashing is keyed per process: slots cannot be aimed at
        marked = int.from_bytes(mac, "big") | _TAKEN
        if self._refused[slot] == marked:
            if bucket.take(now):
                self._refused[slot] = 0
                return True
            return False
        if bucket.take(now, keep=bucket.burst / 2):
            return True
        self._refused[slot] = marked
        return False

    def _mac(self, mac: bytes, now: float) -> bool:
        if now >= self._sweep_at:
            self._sweep(now)
        bucket = self.per_mac.get(mac)
        if bucket is None:
            bucket = self.per_mac[mac] = TokenBucket(self.mac_rate, MAC_BURST)
        return bucket.take(now)

    def _sweep(self, now: float) -> None:
        """Forget the buckets of MACs that have been quiet long enough to be full again."""
        self.per_mac = {m: b for m, b in self.per_mac.items() if now - b.stamp < IDLE_MAC}
        self._sweep_at = now + IDLE_MAC
