"""The peer VM: Debian's kernel, pppd and rp-pppoe in qemu, on a tap device in a namespace.

qemu runs inside the test's namespace with its NIC on a tap there; whatever binds to
that tap (our AC or client) talks to the guest's eth0. The guest's console goes to a
file; a second serial port on a unix socket carries commands (guest/control); a 9p
share maps the guest's /host to a host directory, where spawned programs write their
logs and exit statuses.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pppvm.artifacts import Artifacts
from pppvm.cpio import Cpio

BOOT_TIMEOUT = 90  # TCG on two busy cores: a boot is ~3 s alone, much longer under load
KERNEL_ARGS = ("console=ttyS0 panic=-1 loglevel=4 mitigations=off tsc=reliable no_timer_check "
               "i8042.noaux i8042.nokbd i8042.nopnp rdinit=/init")
SHARE_MARK = "@SHARE@"  # in a file given to the peer: the directory whose files the host reads
_accel: str | None = None


class VMError(RuntimeError):
    pass


class PeerVM:
    share_path = "/host"  # where the guest's programs see the host directory `share`

    def __init__(self, artifacts: Artifacts, ns: str, tap: str, workdir: Path, files: dict[str, str],
                 hostname: str = "pppvm", mac: str = "52:54:00:12:34:56"):
        self.artifacts, self.ns, self.tap, self.workdir = artifacts, ns, tap, workdir
        self.share = workdir / "share"
        self.share.mkdir(parents=True, exist_ok=True)
        self.console = workdir / "console.log"
        # A unix socket path holds at most 107 bytes: a short directory of its own, whatever workdir is.
        self._socket_dir = Path(tempfile.mkdtemp(prefix="pppvm-"))
        self.control_path = self._socket_dir / "control"
        self._initrd = workdir / "initrd.cpio"
        self._initrd.write_bytes(artifacts.initramfs.read_bytes() + _run_archive(files, hostname))
        self.mac = mac
        self.proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._buffer = b""
        self._next_id = 1
        self._spawned: list[str] = []

    def command(self, accel: str) -> list[str]:
        cpu = "host" if accel == "kvm" else "qemu64"
        return [
            "qemu-system-x86_64", "-M", f"pc,accel={accel}", "-cpu", cpu, "-m", "256", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-bios", str(self.artifacts.bios), "-kernel", str(self.artifacts.vmlinux),
            "-initrd", str(self._initrd), "-append", KERNEL_ARGS,
            "-chardev", f"file,id=console,path={self.console}", "-serial", "chardev:console",
            "-chardev", f"socket,id=control,path={self.control_path},server=on,wait=off",
            "-serial", "chardev:control",
            "-netdev", f"tap,id=net0,ifname={self.tap},script=no,downscript=no",
            "-device", f"virtio-net-pci,netdev=net0,mac={self.mac}",
            "-fsdev", f"local,id=share,path={self.share},security_model=none",
            "-device", "virtio-9p-pci,fsdev=share,mount_tag=host",
        ]

    def start(self, timeout: float = BOOT_TIMEOUT) -> None:
        accel = accelerator(self.artifacts)
        # `ip netns exec` execs qemu in place, so this pid is qemu's own.
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, *self.command(accel)],
                                     stdin=subprocess.DEVNULL, stdout=(self.workdir / "qemu.log").open("w"),
                                     stderr=subprocess.STDOUT)
        self._control = self._connect(timeout)
        self._read_until(b"hello\n", timeout)

    def _connect(self, timeout: float) -> socket.socket:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._check_running()
            if self.control_path.exists():
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(str(self.control_path))
                    return sock
                except OSError:
                    sock.close()
            time.sleep(0.05)
        raise VMError(f"qemu's control socket did not appear within {timeout} s")

    def _check_running(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            qemu_log = (self.workdir / "qemu.log").read_text(errors="replace")
            raise VMError(f"qemu exited ({self.proc.returncode}): {qemu_log}\n{self.console_text()}")

    def _read_until(self, marker: bytes, timeout: float) -> bytes:
        assert self._control is not None
        end = time.monotonic() + timeout
        while marker not in self._buffer:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise VMError(f"no {marker!r} from the guest within {timeout} s; console:\n{self.console_text()}")
            self._check_running()
            self._control.settimeout(min(remaining, 1.0))
            try:
                chunk = self._control.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise VMError(f"guest control channel closed; console:\n{self.console_text()}")
            self._buffer += chunk
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def sh(self, command: str, timeout: float = 30) -> tuple[int, str]:
        """Run a shell command in the guest; its exit status and output."""
        assert self._control is not None and "\n" not in command
        ident = f"c{self._next_id}"
        self._next_id += 1
        self._control.sendall(f"{ident} {command}\n".encode())
        output = []
        while True:
            line = self._read_until(b"\n", timeout).decode(errors="replace")
            if line.startswith(f"{ident}|"):
                output.append(line[len(ident) + 1:])
            elif line.startswith(f"{ident}="):
                return int(line[len(ident) + 1:]), "\n".join(output)

    # The peer interface, shared with pppvm.native.NativePeer: spawn, log, pid, kill, exit_status, running.

    def spawn(self, name: str, command: str) -> None:
        """Start a shell command line in the guest; output in log(name)."""
        status, output = self.sh(f"spawn {name} {command}")
        if status != 0:
            raise VMError(f"spawn {name} failed: {output}")
        self._spawned.append(name)

    def log(self, name: str) -> Path:
        return self.share / f"{name}.log"

    def pid(self, name: str) -> int:
        status, output = self.sh(f"cat /run/{name}.pid")
        if status != 0:
            raise VMError(f"no pid for {name}: {output}")
        return int(output)

    def kill(self, name: str, sig: str = "TERM") -> None:
        status, output = self.sh(f"kill -{sig} $(cat /run/{name}.pid)")
        if status != 0:
            raise VMError(f"kill -{sig} {name}: {output}")

    def exit_status(self, name: str, timeout: float = 30) -> int:
        """The program's exit status once it ends (AssertionError if it is still running)."""
        rc = self.share / f"{name}.rc"
        end = time.monotonic() + timeout
        while not rc.exists():
            if time.monotonic() > end:
                raise AssertionError(f"{name} still running after {timeout} s")
            self._check_running()
            time.sleep(0.05)
        return int(rc.read_text())

    def running(self, name: str) -> bool:
        return not (self.share / f"{name}.rc").exists()

    def describe(self) -> str:
        parts = [f"--- peer {name}.log\n{self.log(name).read_text(errors='replace')}"
                 for name in self._spawned if self.log(name).exists()]
        extra = sorted(set(self.share.glob("*.log")) - {self.log(name) for name in self._spawned})
        parts += [f"--- peer {path.name}\n{path.read_text(errors='replace')}" for path in extra]
        return "\n".join([*parts, f"--- peer console\n{self.console_text()}"])

    def console_text(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else "(no console output)"

    def close(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self._socket_dir, ignore_errors=True)


def _run_archive(files: dict[str, str], hostname: str) -> bytes:
    """Per-run settings, a small cpio appended to the base one (the kernel unpacks both)."""
    archive = Cpio()
    archive.file("etc/run.conf", f"HOSTNAME={hostname}\n".encode())
    for path, content in files.items():
        archive.file(path, content.replace(SHARE_MARK, PeerVM.share_path).encode(), 0o600)
    return archive.bytes()


def accelerator(artifacts: Artifacts) -> str:
    """kvm if a guest boots under it quickly, else tcg. Nested KVM here can abort or crawl."""
    global _accel
    if _accel is None:
        _accel = os.environ.get("PPPVM_ACCEL") or _probe_kvm(artifacts)
    return _accel


def _probe_kvm(artifacts: Artifacts, limit: float = 8.0) -> str:
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg"
    command = ["qemu-system-x86_64", "-M", "pc,accel=kvm", "-cpu", "host", "-m", "256", "-nodefaults",
               "-no-user-config", "-display", "none", "-no-reboot", "-bios", str(artifacts.bios),
               "-kernel", str(artifacts.vmlinux), "-initrd", str(artifacts.initramfs),
               "-append", f"{KERNEL_ARGS} pppvm.probe"]
    try:
        result = subprocess.run(command, capture_output=True, timeout=limit, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "tcg"
    return "kvm" if result.returncode == 0 else "tcg"
