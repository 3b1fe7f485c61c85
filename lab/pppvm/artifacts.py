"""Build, once per set of Debian package versions, the peer VM's kernel and base initramfs.

Everything comes from Debian's own packages (`apt-get download`, `dpkg-deb -x`): the
bookworm kernel (booted as its uncompressed vmlinux), busybox-static as the userland,
pppd with its rp-pppoe plugin, rp-pppoe's pppoe-server, and the shared libraries they
load. Built files are cached in lab/out/pppvm/KEY (or $PPPVM_CACHE/KEY), KEY being a
digest of the package versions and of the guest scripts, so a rebuild happens only
when one of them changes.

    python lab/pppvm/artifacts.py      # build if needed, print the cache directory
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script by the Makefile

from pppvm.cpio import Cpio  # noqa: E402
from pppvm.kernelfiles import extract_vmlinux, module_depends  # noqa: E402

HERE = Path(__file__).resolve().parent
GUEST = HERE / "guest"
DEFAULT_CACHE = HERE.parent / "out" / "pppvm"
QBOOT = Path("/usr/share/qemu/qboot.rom")

KERNEL_META = "linux-image-amd64"
USERLAND = ["busybox-static", "ppp", "pppoe"]
# The shared-library closure of pppd, its plugin and rp-pppoe on bookworm; the build
# checks the closure with the dynamic loader and names any library missing here.
LIBRARIES = ["libc6", "libcrypt1", "libpam0g", "libpcap0.8", "libssl3", "libsystemd0", "libaudit1",
             "libcap-ng0", "libcap2", "libgcrypt20", "libgpg-error0", "liblz4-1", "liblzma5", "libzstd1",
             "libdbus-1-3", "zlib1g"]
PROGRAMS = ["usr/sbin/pppd", "usr/sbin/pppoe", "usr/sbin/pppoe-server", "usr/lib/pppd/2.4.9/pppoe.so"]
PLUGIN_DIR = "usr/lib/pppd/2.4.9"
MODULES = ["virtio_pci", "virtio_net", "9pnet_virtio", "9p", "ppp_generic", "pppox", "pppoe", "slhc",
           "ppp_deflate", "bsd_comp",
           "ppp_async"]  # pppoe-server without kernel mode runs pppd on a pty: the async line discipline


@dataclass(frozen=True)
class Artifacts:
    vmlinux: Path
    initramfs: Path
    bios: Path
    versions: dict[str, str]


def ensure(cache: Path | None = None, log=print) -> Artifacts:
    """The cached artifacts for the current package versions, built first if missing."""
    return _ensure(cache or Path(os.environ.get("PPPVM_CACHE", DEFAULT_CACHE)), log)


@functools.cache  # asking apt for versions takes a second; once per process is enough
def _ensure(cache: Path, log) -> Artifacts:
    versions = package_versions()
    directory = cache / _cache_key(versions)
    if not (directory / "complete").exists():
        # About to download: fresh package lists first, so the versions exist on the mirror.
        _run(["apt-get", "update", "-q"])
        versions = package_versions()
        directory = cache / _cache_key(versions)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; a second process waits, then finds it built
        if not (directory / "complete").exists():
            log(f"pppvm: building the peer VM ({', '.join(f'{p} {v}' for p, v in versions.items())})")
            _build(directory, versions)
            log(f"pppvm: built in {directory}")
            _prune(cache, keep=directory)
    return Artifacts(directory / "vmlinux", directory / "initramfs.cpio", QBOOT, versions)


def package_versions() -> dict[str, str]:
    kernel = _kernel_package()
    names = [kernel, *USERLAND, *LIBRARIES]
    out = _run(["apt-cache", "show", "--no-all-versions", *names])
    versions = {}
    for block in out.split("\n\n"):
        package = re.search(r"^Package: (\S+)", block, re.M)
        version = re.search(r"^Version: (\S+)", block, re.M)
        if package and version:
            versions.setdefault(package.group(1), version.group(1))
    missing = [name for name in names if name not in versions]
    if missing:
        raise RuntimeError(f"apt knows no candidate for {', '.join(missing)} (run apt-get update)")
    return {name: versions[name] for name in names}


def _kernel_package() -> str:
    for attempt in range(2):
        out = subprocess.run(["apt-cache", "depends", KERNEL_META], capture_output=True, text=True).stdout
        match = re.search(r"Depends: (linux-image-\S+)", out)
        if match:
            return match.group(1)
        if attempt == 0:
            _run(["apt-get", "update", "-q"])
    raise RuntimeError(f"apt cannot resolve {KERNEL_META}")


def _cache_key(versions: dict[str, str]) -> str:
    digest = hashlib.sha256(json.dumps(versions, sort_keys=True).encode())
    for path in sorted([*GUEST.iterdir(), Path(__file__), HERE / "cpio.py", HERE / "kernelfiles.py"]):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(" ".join(MODULES).encode())
    return digest.hexdigest()[:16]


def _build(directory: Path, versions: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pppvm-build-") as scratch:
        work = Path(scratch)
        work.chmod(0o777)  # apt-get download drops privileges to _apt when it can
        _run(["apt-get", "download", "-q", *(f"{name}={version}" for name, version in versions.items())], cwd=work)
        root = work / "root"
        for deb in sorted(work.glob("*.deb")):
            _run(["dpkg-deb", "-x", str(deb), str(root)])
        (bzimage,) = root.glob("boot/vmlinuz-*")
        (directory / "vmlinux.tmp").write_bytes(extract_vmlinux(bzimage.read_bytes()))
        (directory / "initramfs.cpio.tmp").write_bytes(_initramfs(root))
    for name in ("vmlinux", "initramfs.cpio"):
        (directory / f"{name}.tmp").rename(directory / name)
    (directory / "versions.json").write_text(json.dumps(versions, indent=1) + "\n")
    (directory / "complete").touch()


def _prune(cache: Path, keep: Path) -> None:
    """Builds for other versions (or from older guest scripts) are of no further use: 80 MB each."""
    for directory in cache.iterdir():
        if directory != keep and directory.is_dir():
            shutil.rmtree(directory, ignore_errors=True)


def _initramfs(root: Path) -> bytes:
    archive = Cpio()
    for name in ("proc", "sys", "dev", "run", "tmp", "host", "etc/ppp", "var/run", "var/lock"):
        archive.directory(name)
    archive.char_device("dev/console", 5, 1)
    _add_busybox(archive, root)
    for script in ("init", "control", "spawn"):
        archive.file("init" if script == "init" else f"bin/{script}", (GUEST / script).read_bytes(), 0o755)
    archive.file("etc/ppp/options", b"# each test gives its options on the command line\n")
    for program in PROGRAMS:
        archive.file(program, (root / program).read_bytes(), 0o755)
    archive.symlink(f"{PLUGIN_DIR}/rp-pppoe.so", "pppoe.so")
    for library in _library_closure(root):
        archive.file(str(library.relative_to(root)), library.read_bytes(), 0o755)
    archive.symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    order = _module_order(root)
    for name, path in order:
        archive.file(f"lib/modules/{name}.ko", path.read_bytes())
    archive.file("etc/modules.order", "".join(f"{name}\n" for name, _ in order).encode())
    return archive.bytes()


def _add_busybox(archive: Cpio, root: Path) -> None:
    busybox = root / "bin" / "busybox"
    archive.file("bin/busybox", busybox.read_bytes(), 0o755)
    for applet in _run([str(busybox), "--list-full"]).split():
        if applet != "bin/busybox":
            archive.symlink(applet, "/bin/busybox")


def _library_closure(root: Path) -> list[Path]:
    loader = root / "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    search = ":".join(str(root / d) for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"))
    found: dict[str, Path] = {"ld-linux-x86-64.so.2": loader}
    for program in PROGRAMS:
        out = _run([str(loader), "--library-path", search, "--list", str(root / program)])
        for line in out.splitlines():
            match = re.match(r"\s*(\S+) => (\S+)", line)
            if not match:
                continue
            soname, path = match.groups()
            if "/" in soname:  # the loader itself, already kept
                continue
            if not path.startswith(str(root)):
                raise RuntimeError(f"{program} needs {soname}, which no downloaded package provides ({path})")
            found[soname] = Path(path)
    return [_keep_name(path, soname) for soname, path in sorted(found.items())]


def _keep_name(path: Path, soname: str) -> Path:
    """The library under its soname (the loader looks it up by that name)."""
    if path.name == soname:
        return path
    target = path.with_name(soname)
    if not target.exists():
        shutil.copyfile(path.resolve(), target)
    return target


def _module_order(root: Path) -> list[tuple[str, Path]]:
    (tree,) = root.glob("lib/modules/*/kernel")
    by_name = {ko.stem.replace("-", "_"): ko for ko in tree.rglob("*.ko")}
    order: list[tuple[str, Path]] = []

    def visit(name: str) -> None:
        if name in (n for n, _ in order):
            return
        if name not in by_name:
            raise RuntimeError(f"kernel module {name} not in the kernel package")
        for dependency in module_depends(by_name[name]):
            visit(dependency)
        order.append((name, by_name[name]))

    for name in MODULES:
        visit(name)
    return order


def _run(command: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} ... failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result.stdout


if __name__ == "__main__":
    print(ensure().initramfs.parent)
