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


def _timed_out(chain: list[BaseException], params: ConnectParams, elapsed: float | None) -> bool:
    """A real timeout: a socket's, netmiko's own, or a failure only once the step's time was up
    (paramiko's negotiation timeout surfaces as `No existing session`). netmiko also raises its
    timeout for any SSH error while connecting (`Negotiation failed`), with that as context."""
    if any(isinstance(e, socket.timeout | TimeoutError) for e in chain):
        return True
    if elapsed is not None and elapsed >= params.timeout:
        return True
    return isinstance(chain[-1], NetmikoTimeoutException)  # netmiko's own, wrapping nothing


def _what_failed(chain: list[BaseException], params: ConnectParams) -> str:
    """The error under netmiko's wrapper (whose text says only that an SSH error occurred)."""
    inner = next((e for e in chain if not isinstance(e, NetmikoTimeoutException)), chain[0])
    if isinstance(inner, EOFError):
        return "the connection was closed by the other end"
    return _first_sentence(inner, params)


def map_error(  # noqa: PLR0911
    exc: BaseException, params: ConnectParams, *, elapsed: float | None = None
) -> DeviceError:
    """One line saying what went wrong, never a password; `elapsed`: seconds until `exc`."""
    where = f"{params.host}:{params.port}"
    chain = _chain(exc)
    text = _first_sentence(exc, params)
    after = f" after {elapsed:.1f} s" if elapsed is not None else ""
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
    what = _what_failed(chain, params)
    if _timed_out(chain, params, elapsed):
        after = after or f" after {params.timeout:g} s"
        return ConnectError(f"timed out connecting to {where}{after}: {what}")
    if isinstance(exc, OSError | EOFError | paramiko.SSHException):
        return ConnectError(f"connection to {where} failed{after}: {what}")
    if isinstance(exc, ValueError):
        return ConnectError(f"cannot connect to {where}: {text}")
    return CollectError(f"{type(exc).__name__} from {where}: {text}")
