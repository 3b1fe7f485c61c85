"""Reading captures: pcap and pcapng files of Ethernet frames."""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from pppemu.conformance.catalog import Violation
from pppemu.conformance.checker import check_frames
from pppemu.errors import ConfigError

_ETHERNET = 1


class CaptureError(ConfigError):
    """The capture file cannot be read as Ethernet frames."""


def read_frames(path) -> Iterator[tuple[float, bytes]]:
    """Yield (timestamp, frame) from a pcap or pcapng file; raise CaptureError if it can't be read."""
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapReader

    name = os.fspath(path)
    with _scapy_warnings() as warnings:
        try:
            reader = RawPcapReader(name)
        except OSError as e:
            raise CaptureError(f"{name}: {e.strerror or e}") from None
        except (Scapy_Exception, EOFError, ValueError, TypeError) as e:
            raise CaptureError(f"{name}: not a readable pcap or pcapng file ({e})") from None
        with reader:
            try:
                for number, (data, meta) in enumerate(reader, start=1):
                    linktype = getattr(meta, "linktype", None) or getattr(reader, "linktype", _ETHERNET)
                    if linktype != _ETHERNET:
                        raise CaptureError(f"{name}: link type {linktype} is not Ethernet; capture on the "
                                           "interface itself (not 'any')")
                    caplen = getattr(meta, "caplen", None)  # pcap records say how much they hold
                    if caplen is not None and len(data) < caplen:
                        raise CaptureError(f"{name}: damaged capture (frame {number} claims {caplen} bytes, "
                                           f"the file holds {len(data)})")
                    warnings.clear()
                    yield _timestamp(meta), data
            except CaptureError:
                raise
            except (OSError, Scapy_Exception, EOFError, ValueError, TypeError, KeyError) as e:
                raise CaptureError(f"{name}: damaged capture ({e})") from None
        if warnings:  # scapy stops at a damaged block with a warning, as it does at the end
            raise CaptureError(f"{name}: damaged capture ({warnings[-1]})")


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _scapy_warnings() -> Iterator[list[str]]:
    """Scapy's warnings about the file, collected instead of printed (all of them: its
    filter of repeated warnings is off meanwhile)."""
    from scapy.config import conf

    log = logging.getLogger("scapy.runtime")
    messages: list[str] = []
    handler = _Collect(messages)
    propagate, threshold = log.propagate, conf.warning_threshold
    log.addHandler(handler)
    log.propagate, conf.warning_threshold = False, 0
    try:
        yield messages
    finally:
        log.removeHandler(handler)
        log.propagate, conf.warning_threshold = propagate, threshold


def _timestamp(meta) -> float:
    if hasattr(meta, "usec"):  # pcap
        return meta.sec + meta.usec / 1e6
    ticks = (meta.tshigh << 32) | meta.tslow  # pcapng: ticks of tsresol per second
    return ticks / meta.tsresol


def check_pcap(path, **kw) -> list[Violation]:
    # Read the whole file first so that a damaged file gives one CaptureError, not half a verdict.
    frames = list(read_frames(path))
    return check_frames(frames, **kw)
