"""A live progress line on a terminal, a plain line per interval otherwise."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, stream=None, interval: float = 1.0):
        self.total = total
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.interval = interval if not self.tty else 0.2
        self.start = time.monotonic()
        self.next_at = self.start
        self.last_up = 0
        self.last_t = self.start

    def line(self, up: int, failed: int, in_setup: int, closed: int = 0) -> str:
        now = time.monotonic()
        rate = (up - self.last_up) / (now - self.last_t) if now > self.last_t else 0.0
        self.last_up, self.last_t = up, now
        return (f"[{now - self.start:8.3f}] sessions {self.total}: up {up}, failed {failed}, "
                f"in setup {in_setup}, closed {closed}, {rate:,.0f}/s")

    def update(self, up: int, failed: int, in_setup: int, closed: int = 0, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self.next_at:
            return
        self.next_at = now + self.interval
        text = self.line(up, failed, in_setup, closed)
        if self.tty:
            self.stream.write("\r\033[K" + text)
            if force:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
