"""Real namespaces joined by a veth pair, for the lab, end-to-end tests and benchmarks.

Names carry a unique suffix; `close()` stops every process started here (by pid)
and removes both namespaces. Namespaces and links are made with pyroute2; programs
run in a namespace through `ip netns exec`, which also gives them that namespace's
view of /sys.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute, netns


class Lab:
    """Namespaces ppp-ac-SUFFIX (the AC's) and ppp-cl-SUFFIX (the client's), each holding veth0."""

    def __init__(self, tmp: Path, prefix: str = "t"):
        self.suffix = f"{prefix}{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.ac_ns = f"ppp-ac-{self.suffix}"
        self.cl_ns = f"ppp-cl-{self.suffix}"
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.pcaps: list[Path] = []  # every capture written by pppemu here, for the tests to judge
        try:
            netns.create(self.ac_ns)
            netns.create(self.cl_ns)
            # Created straight inside the namespaces, so names never collide between labs.
            with IPRoute(netns=self.ac_ns) as ipr:
                ipr.link("add", ifname="veth0", kind="veth", peer={"ifname": "veth0", "net_ns_fd": self.cl_ns})
            for ns in (self.ac_ns, self.cl_ns):
                with IPRoute(netns=ns) as ipr:
                    ipr.link("set", ifname="lo", state="up")
                    ipr.link("set", ifname="veth0", state="up")
        except BaseException:
            self.close()
            raise

    def command(self, ns: str, *args: str, capture: bool = True) -> list[str]:
        """pppemu in a namespace; with `capture`, a --pcap is added unless `args` has one."""
        extra = self._capture(args) if capture else []
        return ["ip", "netns", "exec", ns, sys.executable, "-m", "pppemu", *args, *extra]

    def _capture(self, args: tuple[str, ...]) -> list[str]:
        """A --pcap for every pppemu run that does not ask for one, so its exchange can be judged."""
        if "--pcap" in args:
            self.pcaps.append(Path(args[args.index("--pcap") + 1]))
            return []
        path = self.tmp / f"capture-{len(self.pcaps) + 1}.pcap"
        self.pcaps.append(path)
        return ["--pcap", str(path)]

    def start_ac(self, *args: str, name: str = "ac", capture: bool = True) -> tuple[subprocess.Popen, Path]:
        log = self.tmp / f"{name}.log"
        proc = subprocess.Popen(self.command(self.ac_ns, "ac", "--iface", "veth0", *args, capture=capture),
                                stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_for(log, "ready", proc=proc)
        return proc, log

    def start_client(self, *args: str, name: str = "client", capture: bool = True) -> tuple[subprocess.Popen, Path]:
        log = self.tmp / f"{name}.log"
        proc = subprocess.Popen(self.command(self.cl_ns, "client", "--iface", "veth0", *args, capture=capture),
                                stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc, log

    def spawn(self, ns: str, *args: str, log: Path | None = None) -> subprocess.Popen:
        """Any program in a namespace (its output into `log`, if given), stopped and reaped by close()."""
        out = log.open("w") if log else subprocess.DEVNULL
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *args], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        time.sleep(0.3)
        return proc

    def run_client(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(self.cl_ns, "client", "--iface", "veth0", *args),
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def ns_exec(self, ns: str, *args: str, **kw: Any) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", ns, *args], capture_output=True, text=True, **kw)

    def close(self) -> None:
        stop_all(self.procs)
        for ns in (self.ac_ns, self.cl_ns):
            if ns in namespaces():
                netns.remove(ns)


def stop_all(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each process still running (by pid), SIGKILL what has not exited after 10 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(path: Path, text: str, timeout: float = 20, proc: subprocess.Popen | None = None) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before {text!r}:\n{content}")
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not seen in {path} within {timeout} s:\n{path.read_text()}")


def namespaces() -> set[str]:
    return set(netns.listnetns())
