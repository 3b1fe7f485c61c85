"""A writer for the initramfs format: cpio "newc", uncompressed (the kernel unpacks it fastest)."""
from __future__ import annotations

import stat
from pathlib import Path

_TRAILER = "TRAILER!!!"


class Cpio:
    """Entries are collected in order; parents must be added before their children."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._ino = 1
        self._names: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        name = name.lstrip("/")
        if name in self._names:
            return
        self._names.add(name)
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 1, 0, len(data), 0, 0, *rdev, len(encoded), 0)
        header = b"070701" + b"".join(f"{value:08X}".encode() for value in fields)
        self._ino += 1
        self._chunks += [header, encoded, _pad(len(header) + len(encoded)), data, _pad(len(data))]

    def directory(self, name: str) -> None:
        parts = name.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            self._entry("/".join(parts[:depth]), stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._parents(name)
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name: str, target: str) -> None:
        self._parents(name)
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, name: str, major: int, minor: int) -> None:
        self._parents(name)
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def _parents(self, name: str) -> None:
        parent = str(Path(name.strip("/")).parent)
        if parent != ".":
            self.directory(parent)

    def bytes(self) -> bytes:
        self._entry(_TRAILER, 0)
        return b"".join(self._chunks)


def _pad(length: int) -> bytes:
    return b"\0" * (-length % 4)
