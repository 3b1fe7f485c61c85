"""What the build needs from a packaged kernel: the uncompressed vmlinux and module dependencies."""
from __future__ import annotations

import gzip
import io
import lzma
import struct
import zlib
from pathlib import Path

# Magic numbers of the payload formats a bzImage may carry, as the kernel's extract-vmlinux looks for them.
_XZ_MAGIC = b"\xfd7zXZ\x00"
_GZIP_MAGIC = b"\x1f\x8b\x08"
_ELF_MAGIC = b"\x7fELF"


def extract_vmlinux(bzimage: bytes) -> bytes:
    """The ELF vmlinux inside a bzImage; booting it through PVH skips in-guest decompression."""
    for magic, decompress in ((_XZ_MAGIC, _unxz), (_GZIP_MAGIC, _gunzip)):
        start = bzimage.find(magic)
        while start != -1:
            try:
                image = decompress(bzimage[start:])
            except (lzma.LZMAError, OSError, EOFError, zlib.error):
                image = b""
            if image.startswith(_ELF_MAGIC):
                return image
            start = bzimage.find(magic, start + 1)
    raise ValueError("no xz or gzip compressed ELF payload found in the kernel image")


def _unxz(data: bytes) -> bytes:
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)


def _gunzip(data: bytes) -> bytes:
    return gzip.GzipFile(fileobj=io.BytesIO(data)).read()


def module_depends(ko: Path) -> list[str]:
    """The `depends=` field of a module's .modinfo section (module names, '-' spelled '_')."""
    for field in _section(ko.read_bytes(), ".modinfo").split(b"\0"):
        if field.startswith(b"depends="):
            names = field[len(b"depends="):].decode()
            return [name.replace("-", "_") for name in names.split(",") if name]
    return []


def _section(elf: bytes, wanted: str) -> bytes:
    if elf[:4] != _ELF_MAGIC or elf[4] != 2:
        raise ValueError("not a 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def header(index: int) -> tuple[int, int, int]:
        name, _type, _flags, _addr, offset, size = struct.unpack_from("<IIQQQQ", elf, shoff + index * shentsize)
        return name, offset, size

    _, names_offset, _ = header(shstrndx)
    for index in range(shnum):
        name, offset, size = header(index)
        end = elf.index(b"\0", names_offset + name)
        if elf[names_offset + name:end].decode() == wanted:
            return elf[offset:offset + size]
    return b""
