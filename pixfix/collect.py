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
from dataclasses import dataclass
from pathlib import Path

from pixfix.audit import audit_config
from pixfix.errors import DeviceError, ParseError
from pixfix.inventory import Host, Transport
from pixfix.model import Collected, DeviceResult, Software, Status
from pixfix.parse import parse_show_version
from pixfix.platforms import FACTS, context_names, failover_role
from pixfix.transport import ConnectParams, Session, open_session, show

log = logging.getLogger(__name__)

SaveConfig = Callable[[str, str | None, str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectOptions:
    timeout: float = 30.0
    save_config: SaveConfig | None = None


def connect_params(host: Host, timeout: float) -> ConnectParams:
    """The transport's view of an inventory host (secrets revealed only here)."""
    return ConnectParams(
        name=host.name,
        host=host.host,
        port=host.port,
        transport="telnet" if host.transport is Transport.TELNET else "ssh",
        username=host.username,
        password=host.password.reveal(),
        secret=host.secret.reveal(),
        timeout=timeout,
        known_hosts=str(host.known_hosts) if host.known_hosts else None,
    )


def audit_host(host: Host, options: CollectOptions) -> list[DeviceResult]:
    """One result per device, or per context of a multiple-context device."""
    return [c.result for c in collect_host(host, options)]


def collect_host(host: Host, options: CollectOptions) -> list[Collected]:
    """Read and audit one host; device trouble becomes that host's `error` result."""
    try:
        with open_session(connect_params(host, options.timeout)) as session:
            return _read_device(session, host, options)
    except DeviceError as exc:
        log.info("%s: %s", host.name, exc)
        error = DeviceResult(name=host.name, status=Status.ERROR, error=_one_line(str(exc)))
        return [Collected(result=error, config=None)]


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _read_device(session: Session, host: Host, options: CollectOptions) -> list[Collected]:
    software = parse_show_version(show(session, "show version"))
    facts = FACTS[software.train]
    role = failover_role(show(session, "show failover")) if facts.has_failover_show else None
    if not software.multi_context:
        text = show(session, facts.config_command)
        return [_result(host.name, None, role, software, text, options=options)]
    names = context_names(show(session, "show context"))
    if host.contexts is not None:
        names = [n for n in names if n in host.contexts]
    if not names:
        raise ParseError("multiple-context system space lists no context to audit")
    results = [_read_context(session, host.name, name, role, options) for name in names]
    session.send_command("changeto system")
    return results


def _read_context(
    session: Session, name: str, context: str, role: str | None, options: CollectOptions
) -> Collected:
    session.send_command(f"changeto context {context}")
    session.send_command("terminal pager 0")  # paging is per context: re-send after changeto
    text = show(session, "show running-config")
    return _result(name, context, role, None, text, options=options)


def _result(
    name: str,
    context: str | None,
    role: str | None,
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
