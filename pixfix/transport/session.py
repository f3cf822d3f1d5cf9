"""netmiko sessions for PIX, ASA and FWSM: the one place that drives netmiko's channel.

Two session classes on top of netmiko's ASA driver, sharing `Session`:

- `AsaSession` (ASA, PIX 7+, FWSM 3 over SSH): netmiko's ASA preparation enters config mode at
  every login to set `terminal width` (a config change on a read-only audit, and a warning on a
  standby). We skip that step and keep the command-echo checks, because netmiko's
  `allow_auto_change=False` also turns those off and then loses output at latency.
- `PixTelnetSession` (PIX <= 6.3 over telnet, in `pixfix.transport.telnet`): the session
  answers `<--- More --->` itself and strips the pager's erase sequence.

Speed (docs/benchmarks.md): netmiko spends most of a short session asleep (fixed sleeps in
`find_prompt`, `clear_buffer`, `telnet_login` and its 10-25 ms polling loops). `Session` keeps
netmiko's channel, prompt bookkeeping (`base_prompt`), echo checks and output sanitising, but
blocks on the channel until data arrives instead of sleeping, logs in by reading prompts, and
sends read commands together (`show_many`) once paging is off.

Every read stays within `pixfix.transport.limits` (reply size, strict UTF-8, the session's
wall-clock budget), SSH host keys are verified as `pixfix.transport.hostkeys` says, and netmiko,
paramiko and socket errors are mapped to `pixfix.errors` by `pixfix.transport.errors`.
"""

from __future__ import annotations

import math
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import paramiko
from netmiko.cisco.cisco_asa_ssh import CiscoAsaSSH
from netmiko.exceptions import NetmikoAuthenticationException, ReadException, ReadTimeout

from pixfix.errors import CollectError, ReplyTooLarge
from pixfix.logsetup import host_channel
from pixfix.platforms import PAGER_OFF, UNSOLICITED_TEXT, prompt_regex
from pixfix.transport.hostkeys import HostKeyCheck, VerifyPolicy, host_key_name
from pixfix.transport.limits import MAX_REPLY, Deadline, to_wire

Answers = Sequence[tuple[str, str]]  # (regex of a question, the answer to type)
NUDGE_SECONDS = 2.0  # no prompt this long after login: press Enter once, as netmiko always does
_PROMPT_LAST = rf"(?:^|\n){prompt_regex()} ?$"  # a prompt as the last thing received
_USER_PROMPT = r"(?i:user(?: ?name)?|login)\s*:\s*$"
_CHALLENGE_PROMPT = r"(?i:password)\s*:\s*$"
_OVERLAP = 8192  # a match may start this far before the newly read text (prompts are short)


def echo_regex(command: str) -> str:
    """A command's echo: whole, or cut where the line passes the terminal width and ended with
    `$`, as an ASA shows a long line (tests/fixtures/real/long_echo; netmiko issues #281 and
    #2039). Setting `terminal width` instead would be a configuration change.

    >>> bool(re.match(echo_regex("no network-object object pylab7a.twb-tech.com"),
    ...               "no network-object object pylab7a.twb-$"))
    True
    """
    return rf"{re.escape(command)}|{re.escape(command[:12])}[^\n]*\$"


def end_of_reply(hostname: str) -> str:
    """The prompt of `hostname` as the last thing received, or followed only by text the unit
    prints unasked (failover replication, syslog): such text may arrive in the same read."""
    tail = rf"(?:[ \t]*{UNSOLICITED_TEXT}[^\n]*)?(?:\s*\n[ \t]*{UNSOLICITED_TEXT}[^\n]*)*\s*"
    return rf"(?:^|\n)\s*{prompt_regex(hostname)} ?{tail}$"


class Session(CiscoAsaSSH):
    """netmiko's ASA connection that waits on the channel instead of sleeping.

    netmiko polls every 10 ms (`read_until_pattern`) or 25 ms (`send_command`), sleeps 0.1 s
    before its session preparation and in every `find_prompt`/`clear_buffer`, and looks for the
    prompt again before each command. Here the thread blocks until the channel has data, the
    prompt learnt at login (`base_prompt`, as netmiko keeps it) ends each reply, and commands
    typed ahead (`_pending`) are read back, echo first, before anything else is read or sent.
    """

    pipelines = False  # whether `show_many` may send its commands together

    def __init__(
        self,
        *args: Any,
        host_keys: HostKeyCheck | None = None,
        deadline: Deadline | None = None,
        label: str = "",
        **kwargs: Any,
    ) -> None:
        self._pending: list[str] = []
        self._ready: Callable[[float], bool] | None = None  # waits for data (`_readiness`)
        self._login_output = ""
        self._entered_config = False
        self._host_keys = host_keys or HostKeyCheck()
        self._deadline = deadline or Deadline(None)
        self._label = label or str(kwargs.get("host", ""))
        self._key_name = ""
        self._deadline.arm(self._cut)
        super().__init__(*args, **kwargs)

    def _cut(self) -> None:
        """The budget ran out: close the connection under whatever is waiting on it."""
        client = getattr(self, "remote_conn_pre", None)
        transport = client.get_transport() if isinstance(client, paramiko.SSHClient) else None
        if transport is not None:
            transport.close()
        conn = getattr(self, "remote_conn", None)
        sock = getattr(conn, "sock", None)
        if isinstance(sock, socket.socket):  # telnet: shut down, keep the descriptor ours
            sock.shutdown(socket.SHUT_RDWR)

    def _connect_params_dict(self) -> dict[str, Any]:
        """paramiko's arguments after ssh_config (whose HostName names the key to look up)."""
        params: dict[str, Any] = super()._connect_params_dict()
        self._key_name = host_key_name(params["hostname"], int(params["port"]))
        return params

    def _build_ssh_client(self) -> paramiko.SSHClient:
        """A client that knows only this host's keys and refuses others
        (`pixfix.transport.hostkeys`).

        netmiko's client would load whole known-hosts files for every connection (0.13 s of CPU
        each for a 1,000-host file); the keys come from an index built once per process. The
        transport thread logs under a channel naming the host (it has no fleet job's context).
        """
        client = paramiko.SSHClient()
        client.set_log_channel(host_channel("paramiko.transport", self._label))
        client.set_missing_host_key_policy(VerifyPolicy(self._host_keys))
        for keytype, key in self._host_keys.keys_for(self._key_name).items():
            client.get_host_keys().add(self._key_name, keytype, key)
        return client

    # -- waiting on data --------------------------------------------------------------------
    def read_until_pattern(
        self,
        pattern: str = "",
        read_timeout: float = 10.0,
        re_flags: int = 0,
        max_loops: int | None = None,
    ) -> str:
        """netmiko's contract (text up to the first match; the rest stays buffered), no polling."""
        timeout = self.read_timeout_override or read_timeout
        return self._read_until(re.compile(pattern, re_flags), timeout)

    def _read_until(self, regex: re.Pattern[str], timeout: float, quiet: float = math.inf) -> str:
        """Text up to the first match; the rest, or all of it on a timeout, stays buffered.
        With `quiet`, also a timeout once nothing has arrived for that many seconds."""
        deadline = min(time.monotonic() + timeout if timeout else math.inf, self._deadline.at)
        output, searched, woke, heard = "", 0, False, time.monotonic()
        while True:
            chunk = self.read_channel()
            output += chunk
            heard = time.monotonic() if chunk else heard
            found = regex.search(output, max(0, searched - _OVERLAP))
            if (found.end() if found else len(output)) > MAX_REPLY:
                raise ReplyTooLarge(f"a reply exceeds {MAX_REPLY >> 20} MiB")
            if found:
                self._read_buffer += output[found.end() :]
                return output[: found.end()]
            searched = len(output)
            if woke and not chunk:
                self._after_empty_wakeup()
            try:
                woke = self._wait_for_data(min(deadline, heard + quiet), regex.pattern)
            except ReadTimeout:
                self._read_buffer = output + self._read_buffer
                raise

    def _wait_for_data(self, deadline: float, pattern: str) -> bool:
        """Block until the channel is readable (or closed)."""
        left = deadline - time.monotonic()
        if left <= 0 or self._deadline.expired:
            raise ReadTimeout(f"the device's reply never matched {pattern!r}")
        if self._ready is None:
            self._ready = self._readiness()
        return self._ready(min(left, 1.0))

    def _readiness(self) -> Callable[[float], bool]:
        """A wait for data: an event for an SSH channel, `poll` on a telnet socket.

        Never an SSH channel's `fileno()`: that gives the channel an OS pipe which paramiko's
        `Channel.close` closes while its transport thread may still write a wake-up `*` to it
        (paramiko issue #1700). Under load another session's new socket already has that
        descriptor number, its server reads the `*` in the SSH stream and drops the key
        exchange: a healthy device ended `error` ("Negotiation failed", `EOFError`).
        """
        conn = self.remote_conn
        assert conn is not None
        if isinstance(conn, paramiko.Channel):
            event = threading.Event()
            conn.in_buffer.set_event(event)  # set while data is buffered or once it is closed
            return event.wait
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN)
        return lambda seconds: bool(poller.poll(seconds * 1000))

    def _after_empty_wakeup(self) -> None:
        """Readable but nothing read: the device closed the channel."""
        if self._deadline.expired:
            raise ReadTimeout("the session ran out of time")
        conn = self.remote_conn
        if isinstance(conn, paramiko.Channel) and (conn.closed or conn.eof_received):
            raise ReadException("the device closed the session")
        time.sleep(0.005)  # not closed: do not spin on a wake-up that carries no output

    # -- commands sent ahead -----------------------------------------------------------------
    def read_channel(self) -> str:
        self._settle()
        with self._in_time():
            return str(super().read_channel())

    def write_channel(self, out_data: str) -> None:
        self._settle()
        self._write(out_data)

    def _write(self, text: str) -> None:
        with self._in_time():
            super().write_channel(to_wire(text))

    @contextmanager
    def _in_time(self) -> Iterator[None]:
        """A connection the budget's timer closed fails as the timeout it is."""
        try:
            yield
        except (OSError, EOFError):
            if self._deadline.expired:
                raise ReadTimeout("the session ran out of time") from None
            raise

    def _send_ahead(self, command: str) -> None:
        """Type a silent command now and read its echo and prompt with the next reply."""
        self._write(self.normalize_cmd(command))
        self._pending.append(command)

    def _settle(self) -> None:
        pending, self._pending = self._pending, []
        for command in pending:
            reply = self._read_reply(command)
            if reply.strip():
                raise ReadException(f"{command!r} answered {reply.strip().splitlines()[0]!r}")

    # -- replies --------------------------------------------------------------------------
    def prompt_pattern(self) -> str:
        """The prompt at a line start, in any mode, context or failover state.

        Only the hostname part of `base_prompt` is fixed: `changeto` and a failover (`/act`
        to `/stby`) change the rest while we read.
        """
        return rf"(?:^|\n){prompt_regex(self.base_prompt.split('/')[0])}"

    def _read_reply(self, command: str) -> str:
        """Output between the command's echo and the next prompt, sanitised as netmiko does."""
        try:
            self.read_until_pattern(echo_regex(command))
            body = self.read_until_pattern(self.prompt_pattern())
        except ReplyTooLarge:
            raise CollectError(f"reply to {command!r} exceeds {MAX_REPLY >> 20} MiB") from None
        self._take_prompt(body)
        return str(
            self._sanitize_output(
                command + body, strip_command=True, command_string=command, strip_prompt=True
            )
        )

    def _take_prompt(self, text: str) -> str:
        """Keep netmiko's `base_prompt` in step with the prompt seen; return its `>` or `#`."""
        last = text.rstrip().rsplit("\n", 1)[-1]
        found = re.fullmatch(_PROMPT_LAST, "\n" + last)
        if found is None:
            raise ReadException(f"no prompt at the end of {last[-80:]!r}")
        self.base_prompt = found.group(1)
        return found.group(3)

    def show_many(self, commands: Sequence[str]) -> list[str]:
        """Run read commands: together in one write when `pipelines`, else one by one."""
        if not self.pipelines:
            return [self._one(command) for command in commands]
        self._write("".join(self.normalize_cmd(c) for c in commands))
        self._settle()
        return [self._read_reply(command) for command in commands]

    def _one(self, command: str) -> str:
        self.write_channel(self.normalize_cmd(command))
        return self._read_reply(command)

    # -- lines that ask questions (configuration, reload) ------------------------------------
    def end_of_reply(self) -> str:
        """`end_of_reply` for this session's hostname."""
        return end_of_reply(self.base_prompt.split("/")[0])

    def read_within(self, pattern: str, seconds: float, quiet: float = math.inf) -> str | None:
        """Text up to `pattern` if it comes within `seconds` (and before the line has been quiet
        for `quiet` seconds), else None (nothing is lost)."""
        try:
            return self._read_until(re.compile(pattern), seconds, quiet)
        except ReadTimeout:
            return None

    # -- login ------------------------------------------------------------------------------
    def _try_session_preparation(self, force_data: bool = True) -> None:
        """netmiko presses Enter and sleeps 0.1 s first; the prompt reader needs neither."""
        try:
            self.session_preparation()
        except Exception:
            self.disconnect()
            raise

    def session_preparation(self) -> None:
        terminator = self._take_prompt(self._login_output or self._first_prompt())
        if terminator != "#":
            self._enable()

    def _first_prompt(self) -> str:
        """Wait for the prompt the device prints after login; press Enter only if none comes."""
        regex = re.compile(_PROMPT_LAST)
        timeout = self.read_timeout_override or 20.0
        try:
            return self._read_until(regex, min(NUDGE_SECONDS, timeout))
        except ReadTimeout:
            self.write_channel(self.RETURN)
            return self._read_until(regex, timeout)

    def _enable(self) -> None:
        """netmiko checks the mode, sends `enable`, checks again: three exchanges and sleeps.

        Here the prompt already told the mode; after the secret the device must show a `#`
        prompt (asking for the password again, or a `>` prompt, means the secret was refused).
        """
        self.write_channel(self.normalize_cmd("enable"))
        self.read_until_pattern(re.escape("enable"))
        answer = f"(?i)ssword|{self.prompt_pattern()}"
        reply = self.read_until_pattern(answer)
        if "ssword" in reply.lower():
            self.write_channel(self.normalize_cmd(self.secret))
            reply = self.read_until_pattern(answer)
        if "ssword" in reply.lower()[-12:] or self._take_prompt(reply) != "#":
            raise NetmikoAuthenticationException("enable refused: check the enable secret")

    def telnet_login(self, *args: Any, **kwargs: Any) -> str:
        """Answer the username and password prompts as they arrive.

        netmiko's telnet login sleeps 1 s, then 1 s after the username and 0.5 s after the
        password, whatever `fast_cli` says. A second request for either means a refusal.
        """
        regex = re.compile(f"({_USER_PROMPT})|({_CHALLENGE_PROMPT})|{_PROMPT_LAST}")
        answered: set[int] = set()
        output = ""
        while True:
            text = self._read_until(regex, self.read_timeout_override or 20.0)
            output += text
            found = regex.search(text)
            assert found is not None
            which = 1 if found.group(1) else 2 if found.group(2) else 0
            if which == 0:
                self._login_output = output
                return output
            if which in answered:
                raise NetmikoAuthenticationException("login refused: check username and password")
            answered.add(which)
            answer = self.username if which == 1 else self.password
            self.write_channel(f"{answer}\r")

    # -- logout -----------------------------------------------------------------------------
    def config_mode(
        self, config_command: str = "configure terminal", pattern: str = "", re_flags: int = 0
    ) -> str:
        self._entered_config = True
        return str(super().config_mode(config_command, pattern, re_flags))

    def cleanup(self, command: str = "exit") -> None:
        """netmiko first asks the device whether it is in config mode: ask only if we went."""
        self._pending = []
        if self._entered_config:
            super().cleanup(command)
            return
        self._write(command + self.RETURN)


class AsaSession(Session):
    """ASA, PIX 7+ and FWSM 3 over SSH: no `terminal width` config change at login.

    `terminal pager 0` (exec mode, not saved) is typed ahead at once and read back with the
    first reply; once paging is off, read commands can be sent together.
    """

    pipelines = True

    def session_preparation(self) -> None:
        super().session_preparation()
        self._send_ahead(PAGER_OFF)
