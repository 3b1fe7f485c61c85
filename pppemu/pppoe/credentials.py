"""pppd-style secrets files (chap-secrets / pap-secrets): ``client server secret [addresses]``.

A client field ``line:CIRCUIT-ID`` (or ``remote:REMOTE-ID``) keys an entry by the line a
subscriber arrives on (the Agent-Circuit-Id / Agent-Remote-Id an access node adds to its
discovery, TR-101 / RFC 4679) rather than by the name it gives, as BRAS deployments do."""
from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from pppemu.errors import ConfigError


class SecretsError(ConfigError, ValueError):
    pass


def shell_lines(text: str, source: str, error: type[ConfigError]) -> Iterator[tuple[int, list[str], str]]:
    """(line number, fields, line) for every line with fields: shell quoting, '#' comments."""
    for number, line in enumerate(text.splitlines(), 1):
        try:
            fields = shlex.split(line, comments=True)
        except ValueError as exc:
            raise error(f"{source}:{number}: {exc}") from None
        if fields:
            yield number, fields, line


@dataclass(slots=True)
class Secret:
    client: str
    server: str
    secret: str


# Client-field prefixes that key an entry by line, in the order they are consulted, with the
# line id field each one matches (as parse_line_id names it) and how a reason calls it.
LINE_KEYS = (("line:", "circuit_id", "circuit id"), ("remote:", "remote_id", "remote id"))


class LineSecret:
    """The secret lookup of a session whose line has an entry: that secret, whatever name the
    peer gives; ``keyed_by`` names the line in a failure's reason."""

    def __init__(self, keyed_by: str, secret: bytes):
        self.keyed_by, self.secret = keyed_by, secret

    def __call__(self, client: bytes) -> bytes:
        return self.secret


class Secrets:
    """Look up a peer's secret: its line's entry if it has one (circuit id, then remote id),
    else by name, an exact client name winning over the ``*`` wildcard."""

    def __init__(self, entries: list[Secret] | None = None, server: str = "*"):
        self.server = server
        self._exact: dict[bytes, bytes] = {}
        self._wildcard: bytes | None = None
        self._lines: dict[tuple[str, str], bytes] = {}  # (line id field, its value) -> secret
        for entry in entries or []:
            self.add(entry)

    def add(self, entry: Secret) -> None:
        if self.server != "*" and entry.server not in ("*", self.server):
            return
        line = line_key(entry.client)
        if line is not None:
            self._lines.setdefault(line, entry.secret.encode())
        elif entry.client == "*":
            self._wildcard = entry.secret.encode()
        else:
            self._exact.setdefault(entry.client.encode(), entry.secret.encode())

    def lookup(self, client: bytes) -> bytes | None:
        return self._exact.get(client, self._wildcard)

    def for_line(self, line_id: dict[str, str]) -> LineSecret | None:
        """The lookup for a subscriber on this line (``parse_line_id``'s dict), if an entry
        keys it; None: look it up by name."""
        if self._lines:
            for _, field, label in LINE_KEYS:
                value = line_id.get(field)
                secret = self._lines.get((field, value)) if value else None
                if secret is not None:
                    return LineSecret(f"{label} {value!r}", secret)
        return None

    def __len__(self) -> int:
        return len(self._exact) + (self._wildcard is not None) + len(self._lines)

    @classmethod
    def single(cls, user: str, password: str) -> Secrets:
        return cls([Secret(user, "*", password)])

    @classmethod
    def parse(cls, text: str, server: str = "*", source: str = "secrets") -> Secrets:
        entries = []
        for number, fields, line in shell_lines(text, source, SecretsError):
            if len(fields) < 3:
                raise SecretsError(f"{source}:{number}: expected 'client server secret', got {line.strip()!r}")
            if any(fields[0] == prefix for prefix, _, _ in LINE_KEYS):
                raise SecretsError(f"{source}:{number}: {fields[0]!r} names no line "
                                   f"(write {fields[0]}ID, quoted if it holds spaces)")
            entries.append(Secret(fields[0], fields[1], fields[2]))
        return cls(entries, server)

    @classmethod
    def load(cls, path: str, server: str = "*") -> Secrets:
        """Read a secrets file; one that gives this server no usable entry is an error, not an AC nobody can use."""
        try:
            with open(path, encoding="utf-8") as f:
                secrets = cls.parse(f.read(), server, source=path)
        except OSError as exc:
            raise SecretsError(f"cannot read secrets file {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise SecretsError(f"secrets file {path} is not UTF-8 text (byte {exc.start})") from None
        if not len(secrets):
            raise SecretsError(f"secrets file {path} has no entry for server {server!r} "
                               "(lines are 'client server secret'; client a name, '*', line:CIRCUIT-ID or "
                               "remote:REMOTE-ID; server may be '*')")
        return secrets


def line_key(client: str) -> tuple[str, str] | None:
    """(line id field, value) for a client field that names a line, else None."""
    for prefix, field, _ in LINE_KEYS:
        if client.startswith(prefix) and len(client) > len(prefix):
            return field, client[len(prefix):]
    return None
