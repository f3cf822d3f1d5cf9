"""The only module that talks to devices: netmiko sessions for PIX, ASA and FWSM.

Two session classes on top of netmiko's ASA driver:

- `AsaSession` (ASA, PIX 7+, FWSM 3 over SSH): netmiko's ASA preparation enters config mode at
  every login to set `terminal width` (a config change on a read-only audit, and a warning on a
  standby). We skip only that step and keep the command-echo checks, because netmiko's
  `allow_auto_change=False` also turns those off and then loses output at latency.
- `PixTelnetSession` (PIX <= 6.3 over telnet, SSHv1 only there): no `terminal pager` (an error on
  PIX) and no `no pager` (a config change): the session answers `<--- More --->` itself and strips
  the pager's erase sequence; config mode is left with `exit` (PIX 6 has no `end`).

Errors from netmiko, paramiko and sockets are mapped to `pixfix.errors` here.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import paramiko
from netmiko.cisco.cisco_asa_ssh import CiscoAsaSSH
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoBaseException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)

from pixfix.errors import AuthError, CollectError, ConnectError, DeviceError

MORE = "<--- More --->"
Session = CiscoAsaSSH  # what `open_session` yields: netmiko's ASA connection, prepared by us
_ERASE = re.compile(r"\x08+ *\x08*")


def strip_pager(text: str) -> tuple[str, int, str]:
    """Remove `<--- More --->` prompts and their erase sequences.

    Returns the clean text, how many prompts were found (each needs a key press), and a tail
    that may be the start of a prompt split across reads (to prepend to the next read).
    """
    count = text.count(MORE)
    clean = _ERASE.sub("", text.replace(MORE, ""))
    for size in range(len(MORE) - 1, 0, -1):
        if clean.endswith(MORE[:size]):
            return clean[:-size], count, clean[-size:]
    return clean, count, ""


def _enable(conn: CiscoAsaSSH) -> None:
    """Enter privileged mode; a refused secret (the device asks again) is an auth failure."""
    try:
        conn.enable()
    except (ReadTimeout, ValueError) as exc:
        raise NetmikoAuthenticationException("enable refused: check the enable secret") from exc


class AsaSession(CiscoAsaSSH):
    """netmiko's ASA driver without the `terminal width` config change at login."""

    def session_preparation(self) -> None:
        command = "show curpriv\n"
        self.write_channel(command)
        self.read_until_pattern(pattern=re.escape(command.strip()))
        self.set_base_prompt()
        _enable(self)
        self.disable_paging(command="terminal pager 0")
        self.set_base_prompt()


class PixTelnetSession(CiscoAsaSSH):
    """PIX <= 6.3 over telnet: pager answered in-band, `exit` leaves config mode."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pager_tail = ""
        super().__init__(*args, **kwargs)

    def session_preparation(self) -> None:
        self.set_base_prompt()
        _enable(self)
        self.set_base_prompt()

    def read_channel(self) -> str:
        data = self._pager_tail + str(super().read_channel())
        clean, prompts, self._pager_tail = strip_pager(data)
        for _ in range(prompts):
            self.write_channel(" ")
        return clean

    def exit_config_mode(self, exit_config: str = "exit", pattern: str = r"#") -> str:
        return str(super().exit_config_mode(exit_config=exit_config, pattern=pattern))

    def save_config(
        self, cmd: str = "write memory", confirm: bool = False, confirm_response: str = ""
    ) -> str:
        return str(super().save_config(cmd=cmd, confirm=confirm, confirm_response=confirm_response))


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectParams:
    """What a session needs; secrets are passed as plain strings only at this edge."""

    name: str
    host: str
    port: int
    transport: str  # "ssh" | "telnet"
    username: str
    password: str
    secret: str
    timeout: float = 20.0
    known_hosts: str | None = None

    def __repr__(self) -> str:
        return f"ConnectParams(name={self.name!r}, host={self.host!r}, port={self.port})"


def _netmiko_args(params: ConnectParams) -> dict[str, Any]:
    args: dict[str, Any] = {
        "device_type": "cisco_asa_telnet" if params.transport == "telnet" else "cisco_asa",
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
    }
    if params.transport == "ssh" and params.known_hosts:
        args |= {"ssh_strict": True, "system_host_keys": False, "alt_host_keys": True,
                 "alt_key_file": params.known_hosts}  # fmt: skip
    return args


def show(session: Session, command: str) -> str:
    """Run a read command and return its text (never netmiko's parsed forms)."""
    output = session.send_command(command)
    if not isinstance(output, str):
        raise CollectError(f"unexpected reply type for {command!r}")
    return output


_DEVICE_FAILURES = (NetmikoBaseException, NetmikoTimeoutException, NetmikoAuthenticationException,
                    paramiko.SSHException, OSError, EOFError)  # fmt: skip


@contextmanager
def open_session(params: ConnectParams) -> Iterator[Session]:
    """A logged-in, enabled session; device errors come out as `DeviceError` subclasses."""
    cls = PixTelnetSession if params.transport == "telnet" else AsaSession
    try:
        conn = cls(**_netmiko_args(params))
    except _DEVICE_FAILURES as exc:
        raise map_error(exc, params) from exc
    try:
        yield conn
    except _DEVICE_FAILURES as exc:
        raise map_error(exc, params) from exc
    finally:
        _quiet_disconnect(conn)


def _quiet_disconnect(conn: CiscoAsaSSH) -> None:
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
    everything = " ".join(str(e) for e in chain)
    bad_key = any(isinstance(e, paramiko.BadHostKeyException) for e in chain)
    if bad_key or "does not match" in everything:
        return ConnectError(f"host key changed for {where}: refusing to connect")
    if "not found in known_hosts" in everything:
        return ConnectError(f"host key unknown for {where}: not in the known-hosts file")
    if isinstance(exc, ReadTimeout | ReadException):
        return CollectError(f"no complete reply from {where} within {params.timeout:g} s: {text}")
    if any(isinstance(e, socket.timeout | TimeoutError | NetmikoTimeoutException) for e in chain):
        return ConnectError(f"timed out connecting to {where} after {params.timeout:g} s: {text}")
    if isinstance(exc, OSError | EOFError | paramiko.SSHException):
        return ConnectError(f"connection to {where} failed: {text}")
    return CollectError(f"{type(exc).__name__} from {where}: {text}")
