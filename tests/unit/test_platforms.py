"""Reading role and contexts from show output; pager and error handling of the transport."""

from __future__ import annotations

import paramiko
import pytest
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from pixfix.errors import AuthError, ConnectError
from pixfix.model import Transport
from pixfix.parse.show import context_names, failover_state
from pixfix.platforms import MORE
from pixfix.transport.errors import map_error
from pixfix.transport.params import ConnectParams
from pixfix.transport.telnet import strip_pager

SHOW_CONTEXT = """\
Context Name      Class      Interfaces Mode      URL
*admin            default    Gi0/0      Routed    disk0:/admin.cfg
 mail             default    Gi0/1,Gi0/2 Routed   disk0:/mail.cfg
 dmz-2            gold       Gi0/3      Routed    disk0:/dmz-2.cfg

Total active Security Contexts: 3
"""


def test_context_names_from_show_context() -> None:
    assert context_names(SHOW_CONTEXT) == ["admin", "mail", "dmz-2"]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        (
            "Failover On\nFailover unit Secondary\n        This host: Secondary - Standby Ready\n",
            "standby",
        ),
        (
            "Failover On\n  This host: Primary - Active\n  Other host: Secondary - Standby Ready",
            "active",
        ),
        ("Failover Off\nFailover unit Primary\n", "standalone"),
    ],
)
def test_failover_role(text: str, role: str) -> None:
    state = failover_state(text)
    assert state.role is not None and state.role.value == role


def test_strip_pager_removes_prompts_and_erase_and_holds_a_split_prompt() -> None:
    erase = "\x08" * len(MORE) + " " * len(MORE) + "\x08" * len(MORE)
    clean, prompts, tail = strip_pager(f"line 1\nline 2\n{MORE}{erase}line 3\n<--- Mo")
    assert (clean, prompts, tail) == ("line 1\nline 2\nline 3\n", 1, "<--- Mo")


def test_strip_pager_removes_the_pix_carriage_return_erase() -> None:
    """A PIX over telnet erases the prompt with CR, spaces, CR (not backspaces)."""
    erase = "\r" + " " * len(MORE) + "\r"
    clean, prompts, tail = strip_pager(
        f"fixup protocol ftp 21\n{MORE}{erase}fixup protocol smtp 25\n"
    )
    assert (clean, prompts, tail) == ("fixup protocol ftp 21\nfixup protocol smtp 25\n", 1, "")


PARAMS = ConnectParams(
    name="fw",
    host="192.0.2.1",
    port=22,
    transport=Transport.SSH,
    username="u",
    password="hunter2-x",
    secret="s3",
)


def _raised(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except type(inner):
            raise outer  # noqa: B904 - netmiko raises this way, leaving __context__ set
    except type(outer) as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (
            _raised(
                NetmikoTimeoutException("TCP connection to device failed."),
                paramiko.ssh_exception.NoValidConnectionsError(
                    {("192.0.2.1", 22): ConnectionRefusedError()}
                ),
            ),
            ConnectError,
            "connection refused",
        ),
        (
            NetmikoAuthenticationException("Authentication to device failed. hunter2-x"),
            AuthError,
            "authentication",
        ),
        (TimeoutError("timed out"), ConnectError, "timed out"),
        (
            _raised(
                NetmikoTimeoutException(
                    "A paramiko SSHException occurred during connection creation"
                ),
                paramiko.SSHException("Host key for server '192.0.2.1' does not match: got 'AAAA'"),
            ),
            ConnectError,
            "host key changed",
        ),
        (paramiko.SSHException("Error reading SSH protocol banner"), ConnectError, "banner"),
    ],
)
def test_map_error_gives_one_line_without_the_password(
    exc: BaseException, kind: type, words: str
) -> None:
    mapped = map_error(exc, PARAMS)
    assert isinstance(mapped, kind)
    assert words in str(mapped) and "\n" not in str(mapped) and "hunter2-x" not in str(mapped)
    assert "192.0.2.1:22" in str(mapped)


@pytest.mark.parametrize(
    ("exc", "elapsed", "message"),
    [
        (  # netmiko calls every SSH error while connecting a timeout
            _raised(
                NetmikoTimeoutException(
                    "A paramiko SSHException occurred during connection creation:\n\n"
                    "Negotiation failed.\n"
                ),
                paramiko.SSHException("Negotiation failed."),
            ),
            0.44,
            "connection to 192.0.2.1:22 failed after 0.4 s: Negotiation failed.",
        ),
        (
            EOFError(),
            1.26,
            "connection to 192.0.2.1:22 failed after 1.3 s: "
            "the connection was closed by the other end",
        ),
        (  # paramiko's negotiation timeout: no exception of its own, no session for the login
            _raised(
                NetmikoTimeoutException("Paramiko: 'No existing session' error: try increasing"),
                paramiko.SSHException("No existing session"),
            ),
            20.01,
            "timed out connecting to 192.0.2.1:22 after 20.0 s: No existing session",
        ),
        (
            _raised(paramiko.SSHException("Error reading SSH protocol banner"), TimeoutError()),
            20.02,
            "timed out connecting to 192.0.2.1:22 after 20.0 s: Error reading SSH protocol banner",
        ),
    ],
)
def test_map_error_says_what_failed_and_after_how_long(
    exc: BaseException, elapsed: float, message: str
) -> None:
    assert str(map_error(exc, PARAMS, elapsed=elapsed)) == message
