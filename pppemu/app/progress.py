"""A live progress line on a terminal (rich), a plain line per interval otherwise."""
from __future__ import annotations

import atexit
import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, TextColumn
from rich.progress import Progress as Bar


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, interval: float = 1.0):
        self.total = total
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.interval = interval if not self.tty else 0.2
        self.start = time.monotonic()
        self.next_at = self.start
        self.last_up = 0
        self.last_t = self.start
        self.bar: Bar | None = None
        if self.tty:
            self.bar = Bar(TextColumn("{task.description}", markup=False), BarColumn(),
                           TextColumn("{task.fields[counts]}", markup=False),
                           console=Console(file=self.stream), auto_refresh=False)
            self.task = self.bar.add_task("", total=total, counts="")
            self.bar.start()
            atexit.register(self.bar.stop)  # gives the cursor back however the run ends

    def counts(self, up: int, failed: int, in_setup: int, closed: int = 0) -> str:
        now = time.monotonic()
        rate = (up - self.last_up) / (now - self.last_t) if now > self.last_t else 0.0
        self.last_up, self.last_t = up, now
        return f"up {up}, failed {failed}, in setup {in_setup}, closed {closed}, {rate:,.0f}/s"

    def line(self, up: int, failed: int, in_setup: int, closed: int = 0) -> str:
        return (f"[{time.monotonic() - self.start:8.3f}] sessions {self.total}: "
                + self.counts(up, failed, in_setup, closed))

    def update(self, up: int, failed: int, in_setup: int, closed: int = 0, force: bool = False) -> None:
        """Show the figures at most once an interval; `force` shows them now, the last time on a terminal."""
        now = time.monotonic()
        if not force and now < self.next_at:
            return
        self.next_at = now + self.interval
        if self.bar is None:
            self.stream.write(self.line(up, failed, in_setup, closed) + "\n")
            self.stream.flush()
            return
        self.bar.update(self.task, completed=up + failed, refresh=True,
                        description=f"[{now - self.start:8.3f}] sessions {self.total}",
                        counts=self.counts(up, failed, in_setup, closed))
        if force:
            self.bar.stop()
            self.bar = None
