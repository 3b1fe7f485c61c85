"""Reading captures: pcap and pcapng files of Ethernet frames."""
from __future__ import annotations

import os
from collections.abc import Iterator

from .catalog import Violation
from .checker import check_frames

_ETHERNET = 1


class CaptureError(Exception):
    """The capture file cannot be read as Ethernet frames."""


def read_frames(path) -> Iterator[tuple[float, bytes]]:
    """Yield (timestamp, frame) from a pcap or pcapng file; raise CaptureError if it can't be read."""
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapReader

    name = os.fspath(path)
    try:
        reader = RawPcapReader(name)
    except OSError as e:
        raise CaptureError(f"{name}: {e.strerror or e}") from None
    except (Scapy_Exception, EOFError, ValueError, TypeError) as e:
        raise CaptureError(f"{name}: not a readable pcap or pcapng file ({e})") from None
    with reader:
        try:
            for data, meta in reader:
                linktype = getattr(meta, "linktype", None) or getattr(reader, "linktype", _ETHERNET)
                if linktype != _ETHERNET:
                    raise CaptureError(f"{name}: link type {linktype} is not Ethernet; capture on the "
                                       "interface itself (not 'any')")
                yield _timestamp(meta), data
        except CaptureError:
            raise
        except (OSError, Scapy_Exception, EOFError, ValueError, TypeError, KeyError) as e:
            raise CaptureError(f"{name}: damaged capture ({e})") from None


def _timestamp(meta) -> float:
    if hasattr(meta, "usec"):  # pcap
        return meta.sec + meta.usec / 1e6
    ticks = (meta.tshigh << 32) | meta.tslow  # pcapng: ticks of tsresol per second
    return ticks / meta.tsresol


def check_pcap(path, **kw) -> list[Violation]:
    # Read the whole file first so that a damaged file gives one CaptureError, not half a verdict.
    frames = list(read_frames(path))
    return check_frames(frames, **kw)
