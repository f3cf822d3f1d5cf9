"""The waiting session without a network: a scripted CLI behind a fake netmiko channel.

netmiko's own constructor runs (`auto_connect=False`), so the session keeps netmiko's prompt
bookkeeping and output sanitising; only the channel and the wait for data are scripted. The
real SSH/telnet paths (latency, slow devices, pager) are covered in
tests/lab/test_transport_speed_lab.py.
"""

from __future__ import annotations

import doctest
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paramiko
import pytest
from netmiko.exceptions import NetmikoAuthenticationException, ReadException, ReadTimeout

from pixfix.errors import CollectError
from pixfix.model import Transport
from pixfix.platforms import MORE, REPORTING
from pixfix.transport import limits as read_limits
from pixfix.transport import session as transport
from pixfix.transport.connect import show_many
from pixfix.transport.device_io import SessionIO
from pixfix.transport.errors import map_error
from pixfix.transport.params import ConnectParams
from pixfix.transport.session import AsaSession, Session
from pixfix.transport.telnet import PixTelnetSession, strip_pager

NL = "\r\n"
VERSION = "Cisco Adaptive Security Appliance Software Version 9.8(4)\r\nfw up 12 days 3 hours"
CONFIG = NL.join([": Saved", "ASA Version 9.8(4) ", "hostname fw", *[f"name 10.0.0.{i} h{i}"
                  for i in range(60)], "Cryptochecksum:00ff", ": end"])  # fmt: skip
REPLIES = {
    "show version": VERSION,
    "show failover": "Failover Off",
    "show running-config": CONFIG,
    "terminal pager 0": "",
    "show nonsense": "ERROR: % Invalid input detected at '^' marker.",
}


@dataclass
class Cli:
    """A scripted PIX/ASA CLI: echoes input, answers whole lines, prints a prompt."""

    hostname: str = "fw"
    mode: str = ">"
    context: str = ""
    pager: int = 0  # lines per page; 0 = no paging
    replies: dict[str, str] = field(default_factory=lambda: dict(REPLIES))
    out: str = f"Type help or '?' for a list of available commands.{NL}"
    writes: list[str] = field(default_factory=list)
    asked: str = ""  # "secret" while the enable password is asked
    pending: list[str] = field(default_factory=list)  # lines behind a More prompt
    _line: str = ""

    def __post_init__(self) -> None:
        self.out += self.prompt()

    def prompt(self) -> str:
        return f"{self.hostname}{self.context}{self.mode} "

    def feed(self, data: str) -> None:
        self.writes.append(data)
        for char in data:
            if self.pending:
                self.out += "\x08" * 14 + " " * 14 + "\x08" * 14
                self._page()
            elif char == "\n":
                line, self._line = self._line.rstrip("\r"), ""
                self.line(line)
            else:
                self._line += char

    def line(self, line: str) -> None:
        if self.asked:
            self.asked = ""
            ok = line == "s3cret"
            self.mode = "#" if ok else self.mode
            self.out += NL + ("" if ok else f"Invalid password{NL}") + self.prompt()
            return
        self.out += line + NL
        if line == "enable":
            self.asked, self.out = "secret", self.out + "Password: "
        elif line.startswith("changeto context "):
            self.context = "/" + line.rsplit(maxsplit=1)[-1]
            self.out += self.prompt()
        else:
            self.emit(self.replies.get(line, "ERROR: % Invalid input detected at '^' marker."))

    def emit(self, text: str) -> None:
        self.pending = [row + NL for row in text.split(NL)] if text else []
        self._page()

    def _page(self) -> None:
        size = self.pager or len(self.pending)
        self.out += "".join(self.pending[:size])
        self.pending = self.pending[size:]
        self.out += MORE if self.pending else self.prompt()


class FakeChannel:
    """netmiko's channel interface over the scripted CLI, `size` characters per read."""

    def __init__(self, cli: Cli, size: int) -> None:
        self.cli, self.size = cli, size

    def read_channel(self) -> str:
        chunk, self.cli.out = self.cli.out[: self.size], self.cli.out[self.size :]
        return chunk

    def write_channel(self, data: str) -> None:
        self.cli.feed(data)


class Waitless:
    """Replaces the blocking wait: data is there, or the reply will never come."""

    def _wait_for_data(self, deadline: float, pattern: str) -> bool:
        if not self.channel.cli.out:  # type: ignore[attr-defined]
            raise ReadTimeout(f"the device's reply never matched {pattern!r}")
        return True


class ScriptedAsa(Waitless, AsaSession):
    pass


class ScriptedTelnet(Waitless, PixTelnetSession):
    pass


def connect(cls: type[Session], cli: Cli, *, size: int = 4096, **kwargs: Any) -> Session:
    args = {"device_type": "cisco_asa", "host": "fw", "username": "u", "password": "p",
            "secret": "s3cret", "auto_connect": False, "read_timeout_override": 5}  # fmt: skip
    session = cls(**(args | kwargs))
    session.channel = FakeChannel(cli, size)  # type: ignore[assignment]
    session.remote_conn = object()  # type: ignore[assignment]
    return session


def prepared(cli: Cli, *, size: int = 4096) -> Session:
    session = connect(ScriptedAsa, cli, size=size)
    session.session_preparation()
    return session


def expected(command: str) -> str:
    return REPLIES[command].replace(NL, "\n")


READS = ["show version", "show failover", "show running-config"]


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_reads_sent_together_come_back_whole_and_in_order(size: int) -> None:
    cli = Cli()
    session = prepared(cli, size=size)
    assert show_many(session, READS) == [expected(c) for c in READS]
    assert "show version\nshow failover\nshow running-config\n" in cli.writes
    assert session.base_prompt == "fw"


def test_login_enables_and_types_the_pager_command_ahead() -> None:
    cli = Cli()
    session = prepared(cli)
    assert cli.mode == "#"
    assert cli.writes == ["enable\n", "s3cret\n", "terminal pager 0\n"]
    assert show_many(session, ["show failover"]) == ["Failover Off"]


def test_a_privileged_login_sends_no_enable() -> None:
    cli = Cli(mode="#")
    prepared(cli)
    assert cli.writes == ["terminal pager 0\n"]


def test_a_refused_secret_is_an_authentication_failure() -> None:
    session = connect(ScriptedAsa, Cli(), secret="wrong")
    with pytest.raises(NetmikoAuthenticationException, match="enable refused"):
        session.session_preparation()


def test_a_refused_pager_command_stops_the_reads() -> None:
    cli = Cli(replies={**REPLIES, "terminal pager 0": "ERROR: % Invalid input detected"})
    session = prepared(cli)
    with pytest.raises(ReadException, match="terminal pager 0"):
        show_many(session, ["show version"])


def test_an_error_reply_in_the_middle_keeps_the_others_in_step() -> None:
    session = prepared(Cli())
    replies = show_many(session, ["show version", "show nonsense", "show failover"])
    assert replies == [expected("show version"), expected("show nonsense"), "Failover Off"]


def test_changeto_changes_the_prompt_while_reading() -> None:
    session = prepared(Cli())
    commands = ["changeto context mail", "terminal pager 0", "show running-config"]
    assert show_many(session, commands) == ["", "", expected("show running-config")]
    assert session.base_prompt == "fw/mail"


def test_stray_prompts_before_an_echo_are_skipped() -> None:
    cli = Cli()
    session = prepared(cli)
    cli.out += f"{NL}fw# {NL}fw# "  # two Enter presses answered late
    assert show_many(session, ["show failover"]) == ["Failover Off"]


def test_a_line_starting_with_the_hostname_is_not_a_prompt() -> None:
    session = prepared(Cli())
    assert show_many(session, ["show version"])[0].endswith("fw up 12 days 3 hours")


def test_no_prompt_ever_is_a_read_timeout_mapped_to_a_collect_error() -> None:
    cli = Cli()
    session = prepared(cli)
    cli.hostname = "other"  # the device now prints a prompt we never saw: no reply ends
    with pytest.raises(ReadTimeout) as raised:
        show_many(session, ["show version"])
    mapped = map_error(raised.value, PARAMS)
    assert isinstance(mapped, CollectError) and "no complete reply" in str(mapped)


def test_read_until_pattern_keeps_what_follows_the_match() -> None:
    cli = Cli(mode="#")
    session = connect(ScriptedAsa, cli)
    assert session.read_until_pattern("available").endswith("available")
    assert session._read_buffer.startswith(" commands.")


def test_logout_without_config_mode_only_types_exit() -> None:
    cli = Cli()
    session = prepared(cli)
    cli.writes.clear()
    session.cleanup()
    assert cli.writes == ["exit\n"]


def test_telnet_login_answers_prompts_and_reads_one_by_one_through_the_pager() -> None:
    cli = Cli(pager=24)
    cli.out = f"{NL}User Access Verification{NL}{NL}Username: "
    session = connect(ScriptedTelnet, cli, size=5)
    session.channel = LoginChannel(cli, 5)  # type: ignore[assignment]
    session.telnet_login()
    session.session_preparation()
    assert show_many(session, ["show running-config", "show failover"]) == [
        expected("show running-config"),
        "Failover Off",
    ]
    assert "show running-config\nshow failover\n" not in cli.writes


def test_an_erase_sequence_cut_between_reads_is_held_back() -> None:
    erase = "\x08" * len(MORE) + " " * len(MORE) + "\x08" * len(MORE)
    clean, prompts, tail = strip_pager(f"line 1\n{MORE}{erase[:20]}")
    assert (clean, prompts) == ("line 1\n", 1)
    assert strip_pager(tail + erase[20:] + " nameif outside\n") == (" nameif outside\n", 0, "")


def test_telnet_login_refused_when_asked_twice() -> None:
    cli = Cli()
    cli.out = "Username: "
    session = connect(ScriptedTelnet, cli)
    session.channel = LoginChannel(cli, 4096, accept=False)  # type: ignore[assignment]
    with pytest.raises(NetmikoAuthenticationException, match="login refused"):
        session.telnet_login()


class LoginChannel(FakeChannel):
    """Answers `Username:`/`Password:` before handing over to the scripted CLI."""

    def __init__(self, cli: Cli, size: int, *, accept: bool = True) -> None:
        super().__init__(cli, size)
        self.step, self.accept = 0, accept

    def write_channel(self, data: str) -> None:
        if self.step >= 2:
            self.cli.feed(data)
            return
        self.step += 1
        if self.step == 1:
            self.cli.out += f"{data.strip()}{NL}Password: "
        elif self.accept:
            self.cli.out += f"{NL}Type help or '?' for a list of available commands.{NL}"
            self.cli.out += self.cli.prompt()
        else:
            self.cli.out += f"{NL}Error in authentication.{NL}{NL}Username: "


PARAMS = ConnectParams(
    name="fw",
    host="192.0.2.1",
    port=22,
    transport=Transport.SSH,
    username="u",
    password="pw-1",
    secret="s-2",
)


def test_an_ssh_channel_is_waited_on_without_an_os_pipe() -> None:
    """paramiko closes a channel's `fileno()` pipe under its transport thread (paramiko #1700)."""
    session = connect(AsaSession, Cli())
    channel = paramiko.Channel(0)
    session.remote_conn = channel
    ready = session._readiness()
    assert not ready(0)
    channel.in_buffer.feed(b"fw# ")
    assert ready(0)
    assert channel._pipe is None


def test_a_closed_session_is_a_collect_error_saying_so() -> None:
    mapped = map_error(ReadException("the device closed the session"), PARAMS)
    assert isinstance(mapped, CollectError)
    assert "closed the session" in str(mapped) and "192.0.2.1:22" in str(mapped)


# ---- what a device may send: the reply cap and strict UTF-8 (pixfix.transport.limits) -----------


def test_a_reply_over_the_cap_is_an_error_naming_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "MAX_REPLY", 1000)  # CONFIG: about 1,500
    session = prepared(Cli(), size=512)
    with pytest.raises(CollectError, match=r"reply to 'show running-config' exceeds"):
        show_many(session, ["show version", "show running-config"])


def test_bytes_that_are_not_utf8_are_an_error_naming_the_command() -> None:
    cli = Cli()
    cli.replies["show version"] = VERSION + NL + "banner caf\xe9"  # latin-1 0xE9 on the wire
    session = prepared(cli)
    with pytest.raises(CollectError, match=r"reply to 'show version' is not valid UTF-8"):
        show_many(session, ["show failover", "show version"])


def test_utf8_from_the_device_and_typed_by_us_is_kept_whole() -> None:
    cli = Cli()
    cli.replies["show version"] = VERSION + NL + "banner caf\xc3\xa9"  # UTF-8 bytes, as read
    session = prepared(cli)
    assert show_many(session, ["show version"])[0].endswith("banner café")
    session.write_channel("é\n")
    assert cli.writes[-1] == "\xc3\xa9\n"  # its UTF-8 bytes, which netmiko sends as latin-1


def test_read_limits_docstring_examples_run() -> None:
    result = doctest.testmod(read_limits)
    assert result.failed == 0 and result.attempted > 0


def test_a_deadline_cuts_once_at_its_end_and_none_never() -> None:
    cut = threading.Event()
    deadline = read_limits.Deadline(0.05)
    deadline.arm(cut.set)
    assert cut.wait(2) and deadline.expired
    endless = read_limits.Deadline(None)
    endless.arm(lambda: pytest.fail("cut without a budget"))
    assert endless.at == math.inf and not endless.expired
    cancelled = read_limits.Deadline(0.05)
    cancelled.arm(lambda: pytest.fail("cut after cancel"))
    cancelled.cancel()
    time.sleep(0.1)
    assert not cancelled.expired


def test_reads_end_at_the_sessions_deadline_not_their_own_timeout() -> None:
    session = connect(AsaSession, Cli(), deadline=read_limits.Deadline(0.0))  # the real wait
    started = time.monotonic()
    with pytest.raises(ReadTimeout):
        session.read_until_pattern("never printed", read_timeout=60)
    assert time.monotonic() - started < 1


QUESTION = (
    f"{NL}***************************** NOTICE *****************************{NL}{NL}"
    f"Would you like to enable anonymous error reporting to help improve{NL}"
    "the product? [Y]es, [N]o, [A]sk later: "
)


@dataclass
class LateQuestionCli(Cli):
    """An ASA 8.4+ at its first `configure terminal`: the prompt, and only then the notice."""

    later: str = ""
    answers: list[str] = field(default_factory=list)

    def line(self, line: str) -> None:
        if self.asked == "reporting":
            self.asked = ""
            self.answers.append(line)
            self.out += line + NL + NL + self.prompt()
        elif line == "configure terminal":
            self.mode = "(config)#"
            self.out += line + NL + self.prompt()
            self.later, self.asked = QUESTION, "reporting"
        else:
            super().line(line)


class LateChannel(FakeChannel):
    """The notice arrives only once the client has read everything before it."""

    def read_channel(self) -> str:
        cli = self.cli
        if not cli.out and isinstance(cli, LateQuestionCli) and cli.later:
            cli.out, cli.later = cli.later, ""
        return super().read_channel()


def _io(cli: Cli) -> SessionIO:
    session = prepared(cli)
    session.channel = LateChannel(cli, 4096)  # type: ignore[assignment]
    return SessionIO(session)


def test_a_question_asked_after_the_prompt_is_answered_before_the_line_is_quiet() -> None:
    cli = LateQuestionCli()
    io = _io(cli)
    reply = io.exchange("configure terminal", (REPORTING,), quiet=0.5)
    assert cli.answers == ["A"] and "[A]sk later" in reply
    assert reply.rstrip().endswith("fw(config)#")


def test_without_the_question_the_reply_ends_at_the_prompt() -> None:
    cli = Cli()
    cli.replies["configure terminal"] = ""
    io = _io(cli)
    reply = io.exchange("configure terminal", (REPORTING,), quiet=0.2)
    assert reply.rstrip().endswith("fw#") and "ERROR" not in reply
    assert show_many(io._session, ["show failover"]) == ["Failover Off"]


class QuietWatch(ScriptedAsa):
    """Records how long each wait for data may last, and then finds the line quiet."""

    waits: list[float]

    def _wait_for_data(self, deadline: float, pattern: str) -> bool:
        self.waits.append(deadline - time.monotonic())
        if not self.channel.cli.out:  # type: ignore[attr-defined]
            raise ReadTimeout(f"the device's reply never matched {pattern!r}")
        return True


def test_the_wait_for_a_late_question_ends_once_the_line_is_quiet() -> None:
    """No fixed wait: after the prompt, a wait for more text lasts at most the quiet bound
    (and what did arrive stays buffered for the next read)."""
    cli = Cli()
    cli.replies["configure terminal"] = ""
    session = connect(QuietWatch, cli)
    session.session_preparation()
    session.waits = []
    reply = SessionIO(session).exchange("configure terminal", (REPORTING,), quiet=0.2)
    assert reply.rstrip().endswith("fw#")
    assert session.waits and 0 < session.waits[-1] <= 0.2
    assert session.read_within("x", 5.0, quiet=0.1) is None
    assert 0 < session.waits[-1] <= 0.1


@dataclass
class ReplicatingCli(Cli):
    """A failover unit that prints replication right after its prompt, in the same write."""

    def line(self, line: str) -> None:
        if line == "failover reload-standby":
            self.out += line + NL + self.prompt() + "Beginning configuration replication: "
            self.out += f"Sending to mate.{NL}End Configuration Replication to mate{NL}"
        else:
            super().line(line)


def test_unsolicited_text_after_the_prompt_ends_the_reply() -> None:
    """Failover replication may print right after a prompt, in the same read (a real capture:
    `ciscoasa# Beginning configuration replication: Sending to mate.`)."""
    cli = ReplicatingCli()
    io = _io(cli)
    reply = io.exchange("failover reload-standby")
    assert "End Configuration Replication to mate" in reply
    assert show_many(io._session, ["show failover"]) == ["Failover Off"]
