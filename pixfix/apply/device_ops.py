"""What apply and rollback do on a device, over netmiko's public connection object.

`pixfix.transport.session` opens sessions and reads; changing a device needs a little more, kept
here on top of `Session` (write_channel / read_until_pattern / base_prompt) so that transport stays
the one place that knows netmiko's internals:

- configuration lines are sent one at a time, each answered by a prompt, and each reply is
  checked with the train's `error_pattern` (netmiko's `send_config_set` checks nothing unless
  told) and for a failover (`/stby` in the prompt, or the standby warning);
- `reload in M`, `reload cancel` and `reload` ask questions (`Save? [Y]es/[N]o:`,
  `[confirm]`): they are answered here, always **No** to saving, because saving before a
  dead-man reload would defeat it (docs/domain.md);
- a save must print `[OK]`.

Everything goes through the `DeviceIO` protocol (a read, or one line with the questions it may
ask), so the state machine in `pixfix.apply.machine` runs unchanged over a real session or over an
in-process simulated device in unit tests. `Recorded` writes every exchange to the run's log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from pixfix.apply.rules import (
    Observed,
    failed_over,
    refused,
    reload_scheduled,
    save_problem,
)
from pixfix.audit.live import ConnectOptions, connect_params
from pixfix.audit.verdict import audit_config
from pixfix.errors import (
    CollectError,
    FailedOver,
    LineRefused,
    ParseError,
    SaveFailed,
    TimerError,
)
from pixfix.inventory.load import Host
from pixfix.model import Platform, Role
from pixfix.parse.config import parse_show_version
from pixfix.platforms import FACTS, TrainFacts, failover_role
from pixfix.transport.limits import WIRE, utf8
from pixfix.transport.session import Session, open_session, show

Answers = Sequence[tuple[str, str]]  # (regex of a question, the answer to type)
LogSink = Callable[[dict[str, Any]], None]
SAVE_NO = (r"Save\? *\[Y\]es/\[N\]o: *$", "N")
CONFIRM = (r"\[confirm\] *$", "")
PAGER_OFF = "terminal pager 0"


class DeviceIO(Protocol):
    """A logged-in, privileged session, as apply needs it."""

    def read(self, command: str) -> str:
        """A read command's output, without echo and prompt."""
        ...

    def exchange(self, line: str, answers: Answers = ()) -> str:
        """Type one line, answer the questions it asks, return everything up to the prompt."""
        ...

    def leave(self, line: str, answers: Answers) -> str:
        """Type a line that ends the session (`reload`), answer its questions, do not wait."""
        ...


class SessionIO:
    """`DeviceIO` over a netmiko `Session` from `pixfix.transport.session.open_session`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read(self, command: str) -> str:
        return show(self._session, command)

    def _prompt(self) -> str:
        host = re.escape(str(self._session.base_prompt).split("/")[0])
        return rf"(?:^|\n)\s*{host}(?:/[\w.-]+)*(?:\([\w.-]+\))?[>#] ?$"

    def exchange(self, line: str, answers: Answers = ()) -> str:
        session = self._session
        session.write_channel(session.normalize_cmd(line))
        pattern = "|".join([self._prompt(), *(question for question, _ in answers)])
        reply = ""
        for _ in range(len(answers) + 1):
            part = str(session.read_until_pattern(pattern=pattern))
            reply += part
            answer = next((a for q, a in answers if re.search(q, part)), None)
            if answer is None:
                break
            session.write_channel(answer + session.RETURN)
        return utf8(reply, line).replace("\r\n", "\n")

    def leave(self, line: str, answers: Answers) -> str:
        """Type a line that takes the device down (`reload`): answer, do not wait for a prompt."""
        session = self._session
        session.write_channel(session.normalize_cmd(line))
        pattern = "|".join(question for question, _ in answers)
        reply = ""
        for _ in answers:
            part = str(session.read_until_pattern(pattern=pattern))
            reply += part
            answer = next((a for q, a in answers if re.search(q, part)), None)
            session.write_channel((answer or "") + session.RETURN)
            if answer == "":
                break
        return reply.encode(WIRE).decode("utf-8", "replace")  # only logged: the device goes down


class Recorded:
    """A `DeviceIO` that logs every command sent and every reply, with how long it took."""

    def __init__(self, inner: DeviceIO, log: LogSink) -> None:
        self._inner = inner
        self._log = log

    def read(self, command: str) -> str:
        return self._recorded(command, lambda: self._inner.read(command))

    def exchange(self, line: str, answers: Answers = ()) -> str:
        return self._recorded(line, lambda: self._inner.exchange(line, answers))

    def leave(self, line: str, answers: Answers) -> str:
        return self._recorded(line, lambda: self._inner.leave(line, answers))

    def _recorded(self, command: str, call: Callable[[], str]) -> str:
        started = time.monotonic()
        try:
            reply = call()
        except Exception as exc:
            seconds = round(time.monotonic() - started, 3)
            self._log({"command": command, "error": str(exc), "seconds": seconds})
            raise
        self._log(
            {"command": command, "reply": reply, "seconds": round(time.monotonic() - started, 3)}
        )
        return reply


Connect = Callable[[], AbstractContextManager[DeviceIO]]


@contextmanager
def open_device(host: Host, options: ConnectOptions) -> Iterator[SessionIO]:
    """A session to the host as `DeviceIO`; device trouble comes out as `DeviceError`.

    No budget for the whole session: a change is never cut off halfway by the clock; each step
    has `options.timeout`.
    """
    with open_session(connect_params(host, options)) as session:
        yield SessionIO(session)


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadFor:
    """What to read about one device (or context)."""

    context: str | None
    bootvar: bool  # read `show bootvar` where a dead-man timer could be armed


def enter_context(io: DeviceIO, context: str | None) -> None:
    """`changeto context X`, then the pager off again (paging is per context)."""
    if context is not None:
        reply = io.read(f"changeto context {context}")
        if "ERROR" in reply:
            raise CollectError(f"changeto context {context}: {reply.strip()}")
        io.read(PAGER_OFF)


def observe(io: DeviceIO, what: ReadFor) -> Observed:
    """Version, role, running and startup configuration (and boot variable when asked)."""
    software = parse_show_version(io.read("show version"))
    facts = FACTS[software.train]
    role = failover_role(io.read("show failover")) if facts.has_failover_show else None
    if (what.context is not None) != software.multi_context:
        mode = "multiple-context" if software.multi_context else "single"
        raise ParseError(f"the device is in {mode} mode, which the plan does not say")
    bootvar = None
    single_asa = software.platform is Platform.ASA and not software.multi_context
    if what.bootvar and single_asa and role in (None, Role.STANDALONE):
        bootvar = io.read("show bootvar")
    enter_context(io, what.context)
    running = io.read(facts.config_command)
    startup = io.read(facts.startup_command)
    return Observed(
        software=software,
        role=role,
        running=running,
        startup=startup,
        verdict=audit_config(running),
        bootvar=bootvar,
    )


def read_role(io: DeviceIO, facts: TrainFacts) -> Role | None:
    """The failover role now (`show failover`), from the login (system) space."""
    return failover_role(io.read("show failover")) if facts.has_failover_show else None


def read_running(io: DeviceIO, facts: TrainFacts, context: str | None) -> str:
    """The running configuration of the device (or context), on a fresh session."""
    enter_context(io, context)
    return io.read(facts.config_command)


def read_startup(io: DeviceIO, facts: TrainFacts, context: str | None) -> str:
    enter_context(io, context)
    return io.read(facts.startup_command)


# ---- changing ------------------------------------------------------------------------------


def _body(reply: str, line: str) -> str:
    """The reply without the echoed line."""
    text = reply.replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    return rest if first.strip() == line.strip() or line.strip() in first else text


def send_lines(
    io: DeviceIO,
    lines: Sequence[str],
    *,
    error_pattern: str,
    sent: list[str],
    stop_on_failover: bool = True,
) -> None:
    """Send lines one by one; stop at the first refusal, and at a failover unless told not to
    (an undo goes to the unit that got the change, even once it is standby).

    `sent` grows as each line is typed, so whoever catches an error knows how far it got.
    """
    for line in lines:
        sent.append(line)
        reply = io.exchange(line)
        if stop_on_failover and failed_over(reply):
            raise FailedOver(f"the unit went standby after {line.strip()!r} (failover)")
        error = refused(_body(reply, line), error_pattern)
        if error is not None:
            raise LineRefused(f"{line.strip()!r} was refused: {error}")


def arm_timer(io: DeviceIO, minutes: int, sent: list[str]) -> None:
    """`reload in M`, answering No to saving; `show reload` must then show it scheduled."""
    line = f"reload in {minutes}"
    sent.append(line)
    io.exchange(line, (SAVE_NO, CONFIRM))
    if reload_scheduled(io.read("show reload")) is not True:
        raise TimerError(f"{line} did not schedule a reload")


def cancel_timer(io: DeviceIO, sent: list[str]) -> None:
    """`reload cancel` (from the system space); `show reload` must then show none."""
    sent.append("reload cancel")
    io.exchange("reload cancel", (CONFIRM,))
    if reload_scheduled(io.read("show reload")) is not False:
        raise TimerError("reload cancel did not cancel the scheduled reload")


def save_config(io: DeviceIO, lines: Sequence[str], *, error_pattern: str, sent: list[str]) -> None:
    """The plan's save lines (`changeto context X`, `write memory`); the last must say [OK]."""
    *before, last = lines
    send_lines(io, before, error_pattern=error_pattern, sent=sent)
    sent.append(last)
    problem = save_problem(io.exchange(last), error_pattern)
    if problem is not None:
        raise SaveFailed(problem)


def reload_device(io: DeviceIO, lines: Sequence[str], *, sent: list[str]) -> None:
    """The plan's reload lines; the session ends with the reload (nothing is saved here)."""
    *before, last = lines
    for line in before:
        sent.append(line)
        io.read(line)
    sent.append(last)
    io.leave(last, (SAVE_NO, CONFIRM))
