"""Read one device (every context of it) and audit what was read. Never changes the device.

Per device: `show version` (platform, train, context mode), `show failover` (role), then the
configuration with the train's own command. A multiple-context system space is read context by
context (`show context`, `changeto context X`, pager re-sent, `show running-config`).
Whatever fails ends as that device's `error` result; nothing is ever reported as compliant
without a configuration that was read whole.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pixfix.audit.verdict import audit_config
from pixfix.errors import DeviceError, ParseError
from pixfix.inventory.load import Host
from pixfix.model import Collected, DeviceResult, Role, Software, Status, Transport
from pixfix.parse.config import parse_show_version
from pixfix.platforms import FACTS, context_names, failover_role
from pixfix.transport.hostkeys import KeyOptions, check_for
from pixfix.transport.session import (
    PAGER_OFF,
    ConnectParams,
    Session,
    open_session,
    pipelines,
    show,
    show_many,
)

log = logging.getLogger(__name__)

SaveConfig = Callable[[str, str | None, str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectOptions:
    """How to reach a device: seconds for each step, and where its SSH key must be known."""

    timeout: float = 30.0
    host_keys: KeyOptions = field(default_factory=KeyOptions)


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectOptions:
    """An audit's reads: `timeout` is also each host's whole budget (`--timeout` is per host)."""

    timeout: float = 30.0
    save_config: SaveConfig | None = None
    host_keys: KeyOptions = field(default_factory=KeyOptions)


def connect_params(
    host: Host, options: ConnectOptions, *, budget: float | None = None
) -> ConnectParams:
    """The transport's view of an inventory host (secrets revealed only here)."""
    return ConnectParams(
        name=host.name,
        host=host.host,
        port=host.port,
        transport="telnet" if host.transport is Transport.TELNET else "ssh",
        username=host.username,
        password=host.password.reveal(),
        secret=host.secret.reveal(),
        timeout=options.timeout,
        budget=budget,
        host_keys=check_for(host.known_hosts, options.host_keys),
        ssh_config=str(host.ssh_config) if host.ssh_config else None,
    )


def audit_host(host: Host, options: CollectOptions) -> list[DeviceResult]:
    """One result per device, or per context of a multiple-context device."""
    return [c.result for c in collect_host(host, options)]


def collect_host(host: Host, options: CollectOptions) -> list[Collected]:
    """Read and audit one host; device trouble becomes that host's `error` result."""
    reach = ConnectOptions(timeout=options.timeout, host_keys=options.host_keys)
    try:
        with open_session(connect_params(host, reach, budget=options.timeout)) as session:
            return _read_device(session, host, options)
    except DeviceError as exc:
        log.info("%s: %s", host.name, exc)
        error = DeviceResult(name=host.name, status=Status.ERROR, error=_one_line(str(exc)))
        return [Collected(result=error, config=None)]


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


_FIRST_READS = ("show version", "show failover")
_USUAL_CONFIG = "show running-config"  # every SSH train's config command (PIX 4 is telnet only)


def _read_device(session: Session, host: Host, options: CollectOptions) -> list[Collected]:
    # Sent together with `show version` when the session pipelines: one round trip instead of
    # two; the reply is used only if it is this train's config command (else read again).
    ahead = [_USUAL_CONFIG] if pipelines(session) else []
    replies = show_many(session, [*_FIRST_READS, *ahead])
    software = parse_show_version(replies[0])
    facts = FACTS[software.train]
    role = failover_role(replies[1]) if facts.has_failover_show else None
    if not software.multi_context:
        same = bool(ahead) and facts.config_command == _USUAL_CONFIG
        text = replies[2] if same else show(session, facts.config_command)
        return [_result(host.name, None, role, software, text, options=options)]
    names = context_names(show(session, "show context"))
    if host.contexts is not None:
        names = [n for n in names if n in host.contexts]
    if not names:
        raise ParseError("multiple-context system space lists no context to audit")
    results = [_read_context(session, host.name, name, role, options) for name in names]
    show(session, "changeto system")
    return results


def _read_context(
    session: Session, name: str, context: str, role: Role | None, options: CollectOptions
) -> Collected:
    # paging is per context: re-send `terminal pager 0` after changeto (all in one round trip)
    commands = [f"changeto context {context}", PAGER_OFF, _USUAL_CONFIG]
    text = show_many(session, commands)[2]
    return _result(name, context, role, None, text, options=options)


def _result(
    name: str,
    context: str | None,
    role: Role | None,
    software: Software | None,
    text: str,
    *,
    options: CollectOptions,
) -> Collected:
    if options.save_config is not None:
        options.save_config(name, context, text)
    verdict = audit_config(text)
    result = DeviceResult.from_verdict(name, verdict, context=context, role=role)
    if result.platform is None and software is not None:
        result = dataclasses.replace(result, platform=software.platform, software=software.version)
    return Collected(result=result, config=text)


def config_saver(folder: Path) -> SaveConfig:
    """Keep each collected configuration as `name.cfg` / `name@context.cfg`, mode 0600."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def save(name: str, context: str | None, text: str) -> None:
        path = folder / (f"{name}@{context}.cfg" if context else f"{name}.cfg")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
        path.chmod(0o600)

    return save
