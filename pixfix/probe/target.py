"""What `pixfix probe` is pointed at: `HOST`, `HOST:PORT`, `[IPV6]:PORT`, checked as typed."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from pixfix.errors import InputError

SMTP_PORT = 25
_HOSTNAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """An SMTP endpoint to probe; `name` is the inventory host it belongs to, if any."""

    host: str
    port: int = SMTP_PORT
    name: str | None = None

    @property
    def address(self) -> str:
        """`host:port`, with IPv6 addresses in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def label(self) -> str:
        """What the table shows: the inventory host's name with the address, or the address."""
        return f"{self.name} ({self.address})" if self.name else self.address


def parse_target(text: str) -> Target:
    """Read `HOST`, `HOST:PORT`, `[IPV6]:PORT`, `[IPV6]` or a bare IPv6 address (port 25).

    >>> parse_target("[2001:db8::25]:2525").address
    '[2001:db8::25]:2525'
    """
    spec = text.strip()
    if not spec:
        raise InputError("empty target: expected HOST[:PORT]")
    if spec.startswith("["):
        inside, bracket, rest = spec[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise InputError(f"bad target {text!r}: expected [ADDRESS]:PORT")
        _check_address(inside, text)
        return Target(host=inside, port=_port(rest[1:], text) if rest else SMTP_PORT)
    if spec.count(":") > 1:
        _check_address(spec, text, hint="put IPv6 addresses with a port in brackets: [ADDR]:PORT")
        return Target(host=spec)
    host, colon, port = spec.partition(":")
    if not _HOSTNAME.match(host):
        raise InputError(f"bad target {text!r}: {host!r} is not a host name or address")
    return Target(host=host, port=_port(port, text) if colon else SMTP_PORT)


def _check_address(address: str, text: str, *, hint: str = "not an IP address") -> None:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise InputError(f"bad target {text!r}: {hint}") from None


def _port(port: str, text: str) -> int:
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise InputError(f"bad target {text!r}: port must be a number from 1 to 65535")
    return int(port)
