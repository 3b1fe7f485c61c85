"""A PPPoE relay between the client and the AC: three namespaces, for end-to-end tests.

    ppp-cl-SUFFIX veth0 --- to-cl  ppp-rl-SUFFIX  to-ac --- veth0 ppp-ac-SUFFIX

The relay's namespace holds rp-pppoe's user-space `pppoe-relay` (clients on to-cl,
access concentrators on to-ac); the AC and the client keep their usual veth0, so
Lab's start_ac / start_client / run_client work unchanged.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from pyroute2 import IPRoute, netns

from pppemu.testing.lab import Lab, namespaces

CLIENT_SIDE, SERVER_SIDE = "to-cl", "to-ac"


class RelayLab(Lab):
    """A Lab whose client and AC are joined through a third namespace instead of one veth pair."""

    def __init__(self, tmp: Path, prefix: str = "r"):
        super().__init__(tmp, prefix)
        self.relay_ns = f"ppp-rl-{self.suffix}"
        try:
            netns.create(self.relay_ns)
            with IPRoute(netns=self.ac_ns) as ipr:
                ipr.link("del", ifname="veth0")  # the direct pair; its peer in the client's namespace goes too
            with IPRoute(netns=self.relay_ns) as ipr:
                ipr.link("add", ifname=SERVER_SIDE, kind="veth", peer={"ifname": "veth0", "net_ns_fd": self.ac_ns})
                ipr.link("add", ifname=CLIENT_SIDE, kind="veth", peer={"ifname": "veth0", "net_ns_fd": self.cl_ns})
                for ifname in ("lo", SERVER_SIDE, CLIENT_SIDE):
                    ipr.link("set", ifname=ifname, state="up")
            for ns in (self.ac_ns, self.cl_ns):
                with IPRoute(netns=ns) as ipr:
                    ipr.link("set", ifname="veth0", state="up")
        except BaseException:
            self.close()
            raise

    def mac(self, ns: str, ifname: str) -> bytes:
        with IPRoute(netns=ns) as ipr:
            (link,) = ipr.link("get", ifname=ifname)
        return bytes.fromhex(link.get_attr("IFLA_ADDRESS").replace(":", ""))

    def start_relay(self, *args: str, name: str = "relay", timeout: float = 5) -> subprocess.Popen:
        """pppoe-relay in the foreground (-F), clients on to-cl (-C), ACs on to-ac (-S); stopped by close().

        Returns once it holds a packet socket on each interface (discovery and session, so four)."""
        log = self.tmp / f"{name}.log"
        proc = subprocess.Popen(["ip", "netns", "exec", self.relay_ns, "pppoe-relay", "-F",
                                 "-C", CLIENT_SIDE, "-S", SERVER_SIDE, *args],
                                stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        end = time.monotonic() + timeout
        while packet_sockets(proc.pid) < 4:
            if proc.poll() is not None:
                raise AssertionError(f"pppoe-relay exited ({proc.returncode}):\n{log.read_text()}")
            if time.monotonic() > end:
                raise AssertionError(f"pppoe-relay holds no packet sockets after {timeout} s:\n{log.read_text()}")
            time.sleep(0.05)
        return proc

    def close(self) -> None:
        try:
            super().close()  # stops the relay with the rest, by pid
        finally:
            relay_ns = getattr(self, "relay_ns", None)
            if relay_ns and relay_ns in namespaces():
                netns.remove(relay_ns)


def packet_sockets(pid: int) -> int:
    """How many AF_PACKET sockets a process holds (its socket inodes found in /proc/net/packet)."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")}
        with open(f"/proc/{pid}/net/packet") as table:
            rows = table.read().splitlines()[1:]
    except OSError:
        return 0
    return sum(1 for row in rows if row.split()[-1] in inodes)
