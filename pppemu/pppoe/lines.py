"""Static addresses by line: the Agent-Circuit-Id an access node stamps on a subscriber's
discovery (TR-101, RFC 4679) chooses its IPv4 address, as BRAS deployments map lines to
addresses. A file of ``circuit-id address`` lines; quote a circuit id that holds spaces."""
from __future__ import annotations

import ipaddress

from pppemu.errors import ConfigError
from pppemu.pppoe.credentials import shell_lines


class LineMapError(ConfigError):
    pass


def parse_line_map(text: str, source: str = "line map") -> dict[str, str]:
    lines: dict[str, str] = {}
    for number, fields, line in shell_lines(text, source, LineMapError):
        if len(fields) != 2:
            raise LineMapError(f"{source}:{number}: expected 'circuit-id address', got {line.strip()!r}")
        circuit, address = fields
        try:
            address = str(ipaddress.IPv4Address(address))
        except ValueError:
            raise LineMapError(f"{source}:{number}: {address!r} is not an IPv4 address") from None
        if circuit in lines:
            raise LineMapError(f"{source}:{number}: circuit id {circuit!r} is mapped twice")
        if address in lines.values():
            raise LineMapError(f"{source}:{number}: address {address} is given to two lines")
        lines[circuit] = address
    if not lines:
        raise LineMapError(f"{source}: no 'circuit-id address' line")
    return lines


def load_line_map(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise LineMapError(f"cannot read line map {path}: {exc}") from None
    return parse_line_map(text, path)
