"""Read one device (every context of it) and audit what was read. Never changes the device.

Per device: `show version` (platform, train, context mode), `show failover` (role), then the
running and the saved configuration with the train's own commands (one round trip where the
session allows it). A multiple-context system space is read context by context (`show context`,
`changeto context X`, pager re-sent, both configurations). A running configuration that is
fixed over a saved one that is not is `unsaved`: the next reload would bring Mailguard back.
Whatever fails ends as that device's `error` result; nothing is ever reported as compliant
without a configuration that was read whole.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

from pixfix.audit.reads import (
    back_to_system,
    context_roles,
    contexts_of,
    identify,
    in_context,
)
from pixfix.audit.verdict import audit_config
from pixfix.errors import ContextRefused, DeviceError, ParseError
from pixfix.inventory.load import Host
from pixfix.model import Collected, DeviceResult, Role, Software, Status
from pixfix.store.saved import SaveConfig
from pixfix.transport.device_io import DeviceIO, open_device
from pixfix.transport.hostkeys import KeyOptions
from pixfix.transport.params import ConnectOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectOptions:
    """An audit's reads: `timeout` is also each host's whole budget (`--timeout` is per host)."""

    timeout: float = 30.0
    save_config: SaveConfig | None = None
    host_keys: KeyOptions = field(default_factory=KeyOptions)


def collect_host(host: Host, options: CollectOptions) -> list[Collected]:
    """Read and audit one host; device trouble becomes that host's `error` result."""
    reach = ConnectOptions(timeout=options.timeout, host_keys=options.host_keys)
    try:
        with open_device(host, reach, budget=options.timeout) as io:
            return _read_device(io, host, options)
    except DeviceError as exc:
        log.info("%s: %s", host.name, exc)
        error = DeviceResult(name=host.name, status=Status.ERROR, error=_one_line(str(exc)))
        return [Collected(result=error, config=None)]


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _read_device(io: DeviceIO, host: Host, options: CollectOptions) -> list[Collected]:
    found = identify(io, config_ahead=True)
    software, facts, role = found.software, found.facts, found.role
    if not software.multi_context:
        if found.running is not None and found.startup is not None:
            texts = [found.running, found.startup]
        else:
            texts = io.read_many([facts.config_command, facts.startup_command])
        return [_result(host.name, None, role, software, texts, options=options)]
    names = contexts_of(io)
    if host.contexts is not None:
        names = [n for n in names if n in host.contexts]
    if not names:
        raise ParseError("multiple-context system space lists no context to audit")
    roles = context_roles(io, found, names)
    reads = [facts.config_command, facts.startup_command]
    results = [
        _read_context(io, host.name, name, roles[name], reads=reads, options=options)
        for name in names
    ]
    back_to_system(io)
    return results


def _read_context(
    io: DeviceIO,
    name: str,
    context: str,
    role: Role | None,
    *,
    reads: list[str],
    options: CollectOptions,
) -> Collected:
    try:
        texts = in_context(io, context, reads)
    except ContextRefused as exc:  # that context's error; the session is still usable
        log.info("%s/%s: %s", name, context, exc)
        error = DeviceResult(name=name, context=context, role=role, status=Status.ERROR,
                             error=_one_line(str(exc)))  # fmt: skip
        return Collected(result=error, config=None)
    return _result(name, context, role, None, texts, options=options)


def _result(
    name: str,
    context: str | None,
    role: Role | None,
    software: Software | None,
    texts: list[str],
    *,
    options: CollectOptions,
) -> Collected:
    """The running configuration's verdict, held against the saved one's (`unsaved`)."""
    text, startup = texts
    if options.save_config is not None:
        options.save_config(name, context, text)
    verdict = audit_config(text)
    result = DeviceResult.from_verdict(name, verdict, context=context, role=role)
    if result.status is not Status.ERROR:
        result = result.with_saved(audit_config(startup))
    if result.platform is None and software is not None:
        result = dataclasses.replace(result, platform=software.platform, software=software.version)
    return Collected(result=result, config=text, startup=startup)
