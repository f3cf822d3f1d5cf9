"""netmiko, paramiko and socket errors as `pixfix.errors`: one line, never a password.

netmiko wraps what paramiko raised (a refused connection inside its own timeout, an SSH error
inside `NetmikoTimeoutException`), and its timeout and authentication exceptions are not under
its own base class, so they are listed here one by one. `pixfix.transport.connect` maps every
failure of a session through `map_error`.
"""

from __future__ import annotations

import socket
from contextlib import suppress
from typing import Protocol

import paramiko
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoBaseException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)

from pixfix.errors import AuthError, CollectError, ConnectError, DeviceError
from pixfix.transport.hostkeys import key_problem
from pixfix.transport.params import ConnectParams

DEVICE_FAILURES = (NetmikoBaseException, NetmikoTimeoutException, NetmikoAuthenticationException,
                   paramiko.SSHException, OSError, EOFError)  # fmt: skip


class _Closable(Protocol):
    def disconnect(self) -> None: ...


def quiet_disconnect(conn: _Closable) -> None:
    """Close a session whose device may already be gone, without a word about it."""
    with suppress(OSError, EOFError, NetmikoBaseException, paramiko.SSHException):
        conn.disconnect()


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes: netmiko wraps a refused connection in its own timeout."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        # paramiko reports refused connections per address inside NoValidConnectionsError
        seen.extend(getattr(current, "errors", {}).values())
        current = current.__cause__ or current.__context__
    return seen


def _first_sentence(exc: BaseException, params: ConnectParams) -> str:
    text = " ".join(str(exc).split())
    if params.password:
        text = text.replace(params.password, "****")
    if params.secret:
        text = text.replace(params.secret, "****")
    return (text.split(". ")[0] or type(exc).__name__)[:160]


def map_error(exc: BaseException, params: ConnectParams) -> DeviceError:  # noqa: PLR0911
    """One line saying what went wrong, never a password."""
    where = f"{params.host}:{params.port}"
    chain = _chain(exc)
    text = _first_sentence(exc, params)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return ConnectError(f"connection refused by {where}")
    if isinstance(exc, NetmikoAuthenticationException | paramiko.AuthenticationException):
        detail = "enable refused" if "enable" in text else "authentication failed"
        return AuthError(f"{detail} at {where}")
    keys = key_problem(chain, where)
    if keys is not None:
        return ConnectError(keys)
    if isinstance(exc, ReadTimeout):
        return CollectError(f"no complete reply from {where} within {params.timeout:g} s: {text}")
    if isinstance(exc, ReadException):
        return CollectError(f"no complete reply from {where}: {text}")
    if any(isinstance(e, socket.timeout | TimeoutError | NetmikoTimeoutException) for e in chain):
        return ConnectError(f"timed out connecting to {where} after {params.timeout:g} s: {text}")
    if isinstance(exc, OSError | EOFError | paramiko.SSHException):
        return ConnectError(f"connection to {where} failed: {text}")
    if isinstance(exc, ValueError):
        return ConnectError(f"cannot connect to {where}: {text}")
    return CollectError(f"{type(exc).__name__} from {where}: {text}")
