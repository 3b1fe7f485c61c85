"""The event loop: feeds frames and timer expiries into a sans-IO role, sends what it returns.

selectors rather than asyncio: the protocol core is plain objects, so there is nothing
to await; one select() over the link's sockets, the TUN device and a wakeup pipe,
with the timeout taken from the role's next deadline, is all a loop has to do, and
it costs less per frame than asyncio's callback machinery.
"""
from __future__ import annotations

import contextlib
import logging
import os
import selectors
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from pppemu.io.link import PacketLink
from pppemu.io.pcap import PcapWriter
from pppemu.wire.describe import describe_frame

if TYPE_CHECKING:
    from pppemu.pppoe.endpoint import Endpoint, Timer

log = logging.getLogger("pppemu.wire")


class EventLoop:
    def __init__(self, role: Endpoint, link: PacketLink, on_event: Callable = lambda event: None,
                 pcap: str | None = None, verbose: bool = False, clock: Callable[[], float] = time.monotonic,
                 checker=None):
        self.role, self.link, self.on_event = role, link, on_event
        self.clock = clock
        self.verbose = verbose
        self.pcap = PcapWriter(pcap) if pcap else None
        self.checker = checker  # a conformance checker fed every frame, sent and received
        self.tracing = bool(self.pcap or verbose or checker)
        self.selector = selectors.DefaultSelector()
        # Ready sources are served in this order: the wakeup pipe and readers (TUN) first,
        # then the link's queues in the order it lists them, most urgent first.
        self._rank: dict[int, int] = {}
        for rank, sock in enumerate(link.sockets, start=1):
            self.selector.register(sock, selectors.EVENT_READ, self._on_link)
            self._rank[sock.fileno()] = rank
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, self._on_wake)
        self._calls: deque[Callable[[], object]] = deque()  # results are ignored
        self.timers: list[Timer] = []  # extra timers beside the role's, e.g. pacers
        self._stopping = False
        self.thread: threading.Thread | None = None

    # ---- other threads and signal handlers talk to the loop through these
    def call_soon(self, fn: Callable[[], object]) -> None:
        self._calls.append(fn)
        self.wake()

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"\0")

    def stop(self) -> None:
        self._stopping = True
        self.wake()

    def add_reader(self, fileobj, callback: Callable[[float], None]) -> None:
        self.selector.register(fileobj, selectors.EVENT_READ, lambda key, now: callback(now))

    # ---- running
    def run(self, until: Callable[[], bool] = lambda: False, timeout: float | None = None) -> bool:
        """Run until `until()` is true (returns True), `timeout` passes or stop() is called."""
        self._stopping = False
        end = None if timeout is None else self.clock() + timeout
        while not self._stopping:
            self.flush()
            if until():
                return True
            now = self.clock()
            if end is not None and now >= end:
                return False
            wait = 1.0
            for deadline in [self.role.next_deadline()] + [t.deadline for t in self.timers]:
                if deadline is not None:
                    wait = min(wait, max(0.0, deadline - now))
            if end is not None:
                wait = min(wait, max(0.0, end - now))
            ready = self.selector.select(wait)
            if len(ready) > 1:
                ready.sort(key=lambda item: self._rank.get(item[0].fd, 0))
            for key, _ in ready:
                key.data(key, self.clock())
            now = self.clock()
            for timer in self.timers:
                if timer.deadline is not None and now >= timer.deadline:
                    timer.tick(now)
            self.role.tick(now)
        self.flush()
        return until()

    def run_in_thread(self) -> None:
        self.thread = threading.Thread(target=self.run, name="pppemu-loop", daemon=True)
        self.thread.start()

    def flush(self) -> None:
        """Send what the role produced and hand its events out."""
        frames = self.role.frames_to_send()
        if frames:
            if self.tracing:
                wall = time.time()
                for frame in frames:
                    self._trace(">", frame, wall)
            send = self.link.send
            for frame in frames:
                send(frame)
        while (event := self.role.next_event()) is not None:
            self.on_event(event)

    def _on_link(self, key, now: float) -> None:
        frames = self.link.recv_all(key.fileobj)
        if self.tracing:
            # Frame by frame, so a capture shows each answer right after what caused it.
            # A frame over a rate limit is counted, not recorded: a flood would drown the log.
            for frame in frames:
                if self.role.admit(frame, now):
                    self._trace("<", frame, time.time())
                    self.role.handle(frame, now)
                    self.flush()
            return
        for frame in frames:
            self.role.receive(frame, now)
        if frames:
            self.flush()

    def _on_wake(self, key, now: float) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass
        while self._calls:
            self._calls.popleft()()

    def _trace(self, direction: str, frame: bytes, wall: float) -> None:
        """Record a frame in the pcap file, the -v log and the conformance checker."""
        if self.pcap:
            self.pcap.write(frame, wall)
        if self.checker is not None:
            self.checker.feed(frame, wall)
        if self.verbose:
            log.info("%s %s", direction, describe_frame(frame))

    def close(self) -> None:
        self.selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        if self.pcap:
            self.pcap.close()
        self.link.close()
