"""A minimal pcap writer (Ethernet link type) that Wireshark and tshark open."""
from __future__ import annotations

import struct
import time

from pppemu.io.link import LinkError


class PcapWriter:
    def __init__(self, path: str):
        try:
            self.file = open(path, "wb")
        except OSError as exc:
            raise LinkError(f"cannot write the capture to {path}: {exc.strerror or exc}") from None
        self.file.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def write(self, frame: bytes, when: float | None = None) -> None:
        when = time.time() if when is None else when
        sec = int(when)
        self.file.write(struct.pack("<IIII", sec, int((when - sec) * 1e6), len(frame), len(frame)) + frame)

    def close(self) -> None:
        self.file.close()
