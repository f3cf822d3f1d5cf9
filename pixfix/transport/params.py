"""What a session needs to reach one device, made from an inventory host.

Secrets leave their `Secret` wrapper here and nowhere else: `ConnectParams` holds them as plain
strings for netmiko, and its `repr` names only the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pixfix.inventory.load import Host
from pixfix.model import Transport
from pixfix.transport.hostkeys import HostKeyCheck, KeyOptions, check_for


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectOptions:
    """How to reach a device: seconds for each step, and where its SSH key must be known."""

    timeout: float = 30.0
    host_keys: KeyOptions = field(default_factory=KeyOptions)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectParams:
    """What a session needs; secrets are passed as plain strings only at this edge."""

    name: str
    host: str
    port: int
    transport: Transport
    username: str
    password: str
    secret: str
    timeout: float = 20.0  # seconds for each step: connecting, logging in, each read
    budget: float | None = None  # seconds for the whole session (None: no limit)
    host_keys: HostKeyCheck = field(default_factory=HostKeyCheck)  # SSH: where keys are known
    ssh_config: str | None = None  # SSH: an OpenSSH config file (ProxyCommand, ProxyJump)

    def __repr__(self) -> str:
        return f"ConnectParams(name={self.name!r}, host={self.host!r}, port={self.port})"


def connect_params(
    host: Host, options: ConnectOptions, *, budget: float | None = None
) -> ConnectParams:
    """The transport's view of an inventory host (secrets revealed only here)."""
    return ConnectParams(
        name=host.name,
        host=host.host,
        port=host.port,
        transport=host.transport,
        username=host.username,
        password=host.password.reveal(),
        secret=host.secret.reveal(),
        timeout=options.timeout,
        budget=budget,
        host_keys=check_for(host.known_hosts, options.host_keys),
        ssh_config=str(host.ssh_config) if host.ssh_config else None,
    )
