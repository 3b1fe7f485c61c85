"""The real peer run natively, for kernels with PPP: pppd and rp-pppoe in their own namespace.

The peer namespace is joined to pppemu's by a veth pair (eth0 on the peer's side).
Files given for /etc/ppp are put in a directory bind-mounted over /etc/ppp for each
program only: `ip netns exec` gives every program a private mount namespace, so the
host's own /etc/ppp is never touched.
"""
from __future__ import annotations

import shlex
import signal
import subprocess
from pathlib import Path

ETC_PPP = "/etc/ppp/"


class NativePeer:
    def __init__(self, ns: str, iface: str, workdir: Path, files: dict[str, str], hostname: str):
        self.ns = ns
        self.peer_ns = ns.replace("ppp-vm-", "ppp-peer-", 1)
        self.share = workdir / "share"
        self.etc = workdir / "etc-ppp"
        self.share.mkdir(parents=True, exist_ok=True)
        self.etc.mkdir(parents=True, exist_ok=True)
        self.share_path = str(self.share)
        self.hostname = hostname
        (self.etc / "options").write_text("# each test gives its options on the command line\n")
        for path, content in files.items():
            path = "/" + path.lstrip("/")
            if not path.startswith(ETC_PPP):
                raise ValueError(f"a native peer takes files under {ETC_PPP} only, not {path}")
            target = self.etc / path[len(ETC_PPP):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content.replace("@SHARE@", self.share_path))
            target.chmod(0o600)
        self.iface = iface
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        subprocess.run(["ip", "netns", "add", self.peer_ns], check=True)
        subprocess.run(["ip", "link", "add", self.iface, "netns", self.ns, "type", "veth", "peer", "name", "eth0",
                        "netns", self.peer_ns], check=True)
        for ns, link in ((self.ns, self.iface), (self.peer_ns, "eth0"), (self.peer_ns, "lo")):
            subprocess.run(["ip", "-n", ns, "link", "set", link, "up"], check=True)

    def spawn(self, name: str, command: str) -> None:
        script = (f"mount --bind {shlex.quote(str(self.etc))} /etc/ppp || exit 125; "
                  f"hostname {shlex.quote(self.hostname)}; exec {command}")
        # unshare -u: the hostname (pppd's CHAP name) stays private to the peer's programs.
        self.procs[name] = subprocess.Popen(["ip", "netns", "exec", self.peer_ns, "unshare", "-u", "sh", "-c",
                                             script], stdout=self.log(name).open("w"), stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)

    def sh(self, command: str, timeout: float = 30) -> tuple[int, str]:
        result = subprocess.run(["ip", "netns", "exec", self.peer_ns, "sh", "-c", command], capture_output=True,
                                text=True, timeout=timeout)
        return result.returncode, (result.stdout + result.stderr).rstrip("\n")

    def log(self, name: str) -> Path:
        return self.share / f"{name}.log"

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def kill(self, name: str, sig: str = "TERM") -> None:
        self.procs[name].send_signal(getattr(signal, f"SIG{sig}"))

    def exit_status(self, name: str, timeout: float = 30) -> int:
        try:
            return self.procs[name].wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{name} still running after {timeout} s") from None

    def running(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def describe(self) -> str:
        return "\n".join(f"--- peer {path.name}\n{path.read_text(errors='replace')}"
                         for path in sorted(self.share.glob("*.log")))

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        subprocess.run(["ip", "netns", "del", self.peer_ns], capture_output=True)
