"""What both commands do around their role: the event loop with its capture and live judge,
the signals that stop it, and at the end the verdict, the JSON report and the cleanup."""
from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from pppemu.app import report, verdict
from pppemu.app.console import Console
from pppemu.io.link import PacketLink
from pppemu.io.loop import EventLoop
from pppemu.io.tun import Tun
from pppemu.pppoe.endpoint import Endpoint

EXIT_OK, EXIT_SESSION_FAILED, EXIT_CONFIG, EXIT_PING_LOST = 0, 1, 2, 3


@dataclass
class Outputs:
    """Where a run writes what it saw; the same for both commands."""
    report: str | None = None       # the JSON report, written at exit
    pcap: str | None = None         # every frame sent and received
    verbose: bool = False           # every frame logged, decoded
    conformance: bool = False       # every frame judged against the RFCs
    quiet: bool = False             # no line per session event


class Runner:
    """The loop around one role. Use as a context manager: signals stop the loop inside the
    block and are restored after it; `finish` reports and releases everything."""

    def __init__(self, role: Endpoint, link: PacketLink, console: Console, outputs: Outputs,
                 on_event: Callable, tun: Tun | None = None):
        self.role, self.link, self.console, self.outputs, self.tun = role, link, console, outputs, tun
        self.checker = verdict.live_checker(outputs.conformance)
        self.loop = EventLoop(role, link, on_event, pcap=outputs.pcap, verbose=outputs.verbose,
                              checker=self.checker)
        self.interrupted: list[int] = []
        self._previous: dict[int, object] = {}

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted.append(signum)
        self.loop.stop()

    def __enter__(self) -> Runner:
        self._previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: object) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)  # type: ignore[arg-type]  # what signal.signal returned before

    def finish(self, extra: dict) -> bool:
        """The verdict, the report and the cleanup; False if the report could not be written."""
        written = True
        extra = {**extra, "link": {"send_errors": self.link.send_errors}}
        if self.checker is not None:
            violations = self.checker.finish()
            self.console.say_lines(verdict.summary(violations))
            extra["conformance"] = verdict.report_section(violations)
        if self.outputs.report:
            written = write_report(self.outputs.report, report.build(self.role, self.role.SIDE, extra), self.console)
        self.loop.close()
        if self.tun is not None:
            self.tun.close()
        return written


def write_report(path: str, data: dict, console: Console) -> bool:
    """Write the JSON report; on failure say so in one line (the run itself is over)."""
    try:
        report.write(path, data)
    except OSError as exc:
        print(f"pppemu: error: cannot write the report to {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    console.say(f"report written to {path}")
    return True
