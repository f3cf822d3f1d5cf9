"""Open a logged-in, privileged session to one device, and read through it.

`open_session` picks the session class for the transport (SSH: `AsaSession`; telnet, PIX up to
6.3: `PixTelnetSession`), gives it the session's wall-clock budget, and turns every netmiko,
paramiko and socket failure into a `pixfix.errors.DeviceError` with one line of text.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from netmiko.exceptions import ReadException

from pixfix.errors import CollectError, ConnectError, DeviceError
from pixfix.model import Transport
from pixfix.transport.errors import DEVICE_FAILURES, map_error, quiet_disconnect
from pixfix.transport.limits import WIRE, Deadline, utf8
from pixfix.transport.params import ConnectParams
from pixfix.transport.session import AsaSession, Session
from pixfix.transport.telnet import PixTelnetSession


def _netmiko_args(params: ConnectParams) -> dict[str, Any]:
    telnet = params.transport is Transport.TELNET
    args: dict[str, Any] = {
        "device_type": "cisco_asa_telnet" if telnet else "cisco_asa",
        "host": params.host,
        "port": params.port,
        "username": params.username,
        "password": params.password,
        "secret": params.secret,
        "conn_timeout": params.timeout,
        "auth_timeout": params.timeout,
        "banner_timeout": params.timeout,
        "read_timeout_override": params.timeout,
        "fast_cli": True,
        "encoding": WIRE,
    }
    if not telnet and params.ssh_config:
        args["ssh_config_file"] = params.ssh_config
    return args


def show(session: Session, command: str) -> str:
    """Run a read command and return its text (never netmiko's parsed forms)."""
    return show_many(session, [command])[0]


def show_many(session: Session, commands: Sequence[str]) -> list[str]:
    """Run read commands in order; an SSH session sends them together (one round trip)."""
    replies = session.show_many(commands)
    if len(replies) != len(commands) or not all(isinstance(r, str) for r in replies):
        raise CollectError(f"unexpected replies for {list(commands)!r}")
    return [utf8(reply, command) for reply, command in zip(replies, commands, strict=True)]


@contextmanager
def open_session(params: ConnectParams) -> Iterator[Session]:
    """A logged-in, enabled session; device errors come out as `DeviceError` subclasses."""
    telnet = params.transport is Transport.TELNET
    cls = PixTelnetSession if telnet else AsaSession
    if not telnet and params.ssh_config and not os.path.isfile(params.ssh_config):
        raise ConnectError(f"ssh_config {params.ssh_config}: no such file")
    deadline = Deadline(params.budget)
    started = time.monotonic()
    try:
        conn = cls(**_netmiko_args(params), host_keys=params.host_keys, deadline=deadline,
                   label=params.name)  # fmt: skip
    except (*DEVICE_FAILURES, ValueError) as exc:  # ValueError: netmiko's ssh_config checks
        deadline.cancel()
        raise _login_error(exc, params, deadline, time.monotonic() - started) from exc
    except BaseException:
        deadline.cancel()
        raise
    try:
        yield conn
    except DEVICE_FAILURES as exc:
        raise map_error(exc, params) from exc
    finally:
        deadline.cancel()
        quiet_disconnect(conn)


def _login_error(
    exc: BaseException, params: ConnectParams, deadline: Deadline, elapsed: float
) -> DeviceError:
    """A session the budget's timer cut before it was up timed out connecting (unless it was
    already reading, where the read's own timeout says more); `elapsed`: seconds until `exc`."""
    if deadline.expired and not isinstance(exc, ReadException):
        where = f"{params.host}:{params.port}"
        return ConnectError(f"timed out connecting to {where} after {deadline.seconds:g} s")
    return map_error(exc, params, elapsed=elapsed)
