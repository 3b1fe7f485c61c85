"""The conformance checker: an independent judge of PPPoE and PPP exchanges.

Rules are written from the RFC text (2516, 4638, 1661, 1994, 1334, 1332, 1877, 5072), never
from the engine in pppemu; only the wire codec is shared. Feed it frames as seen on the wire
(from a capture or live from either role) and it reports every violation it can prove.
"""
from .catalog import RULES, Rule, Violation
from .checker import Checker, check_frames
from .pcap import CaptureError, check_pcap, read_frames
from .report import format_report

__all__ = ["Checker", "Violation", "Rule", "RULES", "check_frames", "check_pcap", "read_frames", "CaptureError",
           "format_report"]
