"""pppd-style secrets files (chap-secrets / pap-secrets): ``client server secret [addresses]``."""
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


class Secrets:
    """Look up a peer's secret; an exact client name wins over the ``*`` wildcard."""

    def __init__(self, entries: list[Secret] | None = None, server: str = "*"):
        self.server = server
        self._exact: dict[bytes, bytes] = {}
        self._wildcard: bytes | None = None
        for entry in entries or []:
            self.add(entry)

    def add(self, entry: Secret) -> None:
        if self.server != "*" and entry.server not in ("*", self.server):
            return
        if entry.client == "*":
            self._wildcard = entry.secret.encode()
        else:
            self._exact.setdefault(entry.client.encode(), entry.secret.encode())

    def lookup(self, client: bytes) -> bytes | None:
        return self._exact.get(client, self._wildcard)

    def __len__(self) -> int:
        return len(self._exact) + (self._wildcard is not None)

    @classmethod
    def single(cls, user: str, password: str) -> Secrets:
        return cls([Secret(user, "*", password)])

    @classmethod
    def parse(cls, text: str, server: str = "*", source: str = "secrets") -> Secrets:
        entries = []
        for number, fields, line in shell_lines(text, source, SecretsError):
            if len(fields) < 3:
                raise SecretsError(f"{source}:{number}: expected 'client server secret', got {line.strip()!r}")
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
                               "(lines are 'client server secret'; server may be '*')")
        return secrets
