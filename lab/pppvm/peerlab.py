"""A namespace holding pppemu, linked to a real PPP peer: pppd and rp-pppoe.

Where this kernel has PPP, the peer runs natively in a second namespace joined by a
veth pair (pppvm.native); otherwise in a VM booted from Debian's own kernel, whose
NIC is a tap in pppemu's namespace (pppvm.vm). Either way pppemu binds to
`lab.iface` in `lab.ns` and the peer sees the link as eth0.

Programs in the peer are started by name (`spawn`), their output lands in
`log(name)`, and `kill`/`exit_status` act on them by that name.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from pppemu.testing.lab import stop_all, wait_for
from pppvm import native
from pppvm.artifacts import ensure
from pppvm.vm import PeerVM


def kernel_has_ppp() -> bool:
    if os.path.exists("/dev/ppp"):
        return True
    if shutil.which("modprobe") is None:
        return False
    loaded = subprocess.run(["modprobe", "-q", "ppp_generic"], capture_output=True).returncode == 0
    return loaded and subprocess.run(["modprobe", "-q", "pppoe"], capture_output=True).returncode == 0


def use_native() -> bool:
    """PPPVM_MODE=native or vm forces the choice; auto goes native where the host can run the peer."""
    choice = os.environ.get("PPPVM_MODE", "auto")
    installed = all(shutil.which(program) for program in ("pppd", "pppoe-server", "pppoe"))
    return choice == "native" or (choice == "auto" and installed and kernel_has_ppp())


class PeerLab:
    def __init__(self, tmp: Path, files: dict[str, str] | None = None, hostname: str = "pppvm"):
        self.suffix = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.ns = f"ppp-vm-{self.suffix}"
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        native_peer = use_native()
        artifacts = None if native_peer else ensure()  # may build for a while: before any namespace exists
        _ip("netns", "add", self.ns)
        try:
            _ip("-n", self.ns, "link", "set", "lo", "up")
            if native_peer:
                self.iface = "veth0"
                self.peer = native.NativePeer(self.ns, self.iface, tmp / "peer", files or {}, hostname)
            else:
                self.iface = "tap0"
                _ip("-n", self.ns, "tuntap", "add", "dev", self.iface, "mode", "tap")
                _ip("-n", self.ns, "link", "set", self.iface, "up")
                self.peer = PeerVM(artifacts, self.ns, self.iface, tmp / "vm", files or {}, hostname)
            self.peer.start()
        except BaseException:
            self.close()
            raise

    def pppemu(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns, sys.executable, "-m", "pppemu", *args]

    def start_ac(self, *args: str, name: str = "ac") -> tuple[subprocess.Popen, Path]:
        proc, log = self._start(name, "ac", *args)
        wait_for(log, "ready", timeout=30, proc=proc)
        return proc, log

    def start_client(self, *args: str, name: str = "client") -> tuple[subprocess.Popen, Path]:
        return self._start(name, "client", *args)

    def _start(self, name: str, role: str, *args: str) -> tuple[subprocess.Popen, Path]:
        log = self.tmp / f"{name}.log"
        self.logs.append(log)
        proc = subprocess.Popen(self.pppemu(role, "--iface", self.iface, *args), stdout=log.open("w"),
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc, log

    def describe(self) -> str:
        """Everything a failed test wants to show: pppemu's logs, the peer's logs, its console."""
        parts = [f"--- {log.name}\n{log.read_text(errors='replace')}" for log in self.logs if log.exists()]
        return "\n".join([*parts, self.peer.describe()])

    def close(self) -> None:
        stop_all(self.procs)
        peer = getattr(self, "peer", None)
        if peer is not None:
            peer.close()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)
