"""What apply and rollback do on a device, over `pixfix.transport.device_io.DeviceIO`.

- configuration lines are sent one at a time, each answered by a prompt, and each reply is
  checked with the train's `error_pattern` (netmiko's `send_config_set` checks nothing unless
  told) and for a failover (`/stby` in the prompt, or the standby warning);
- `reload in M`, `reload cancel` and `reload` ask questions (`Save? [Y]es/[N]o:`,
  `[confirm]`): they are answered here, always **No** to saving, because saving before a
  dead-man reload would defeat it;
- a save must print `[OK]`.

Reads go through `pixfix.audit.reads`, as the audit's do, so the state machine in
`pixfix.apply.machine` runs unchanged over a real session or over an in-process simulated
device in unit tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pixfix.apply.rules import Observed, failed_over, refused, reload_scheduled, save_problem
from pixfix.audit.reads import BOOTVAR, FAILOVER, context_roles, identify, in_context, role_now
from pixfix.audit.verdict import audit_config
from pixfix.errors import FailedOver, LineRefused, ParseError, SaveFailed, TimerError
from pixfix.model import Platform, Role
from pixfix.parse.show import failover_state
from pixfix.platforms import CONFIRM, FACTS, REPORTING, SAVE_NO, TrainFacts
from pixfix.transport.device_io import DeviceIO

ENTER_CONFIG = frozenset(facts.enter_config for facts in FACTS.values())
# After the first `(config)#` prompt of a unit that may ask the reporting question, read on
# until the line has been quiet this long (the notice follows the prompt at once in every capture)
REPORTING_QUIET = 0.3


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadFor:
    """What to read about one device (or context)."""

    context: str | None
    bootvar: bool  # read `show bootvar` where a dead-man timer could be armed


def observe(io: DeviceIO, what: ReadFor, *, hold: Callable[[str], None]) -> Observed:
    """Version, role, running and startup configuration (and boot variable when asked).

    `hold` takes the lock of the unit's serial number as soon as `show version` gave it, so
    that the configuration is read only by the one run that may change it.
    """
    found = identify(io)
    if found.serial is not None:
        hold(found.serial)
    software, facts, role = found.software, found.facts, found.role
    if what.context is not None:
        role = context_roles(io, found, [what.context])[what.context]
    if (what.context is not None) != software.multi_context:
        mode = "multiple-context" if software.multi_context else "single"
        raise ParseError(f"the device is in {mode} mode, which the plan does not say")
    bootvar = None
    single_asa = software.platform is Platform.ASA and not software.multi_context
    if what.bootvar and single_asa and role in (None, Role.STANDALONE):
        bootvar = io.read(BOOTVAR)
    running, startup = in_context(io, what.context, [facts.config_command, facts.startup_command])
    return Observed(
        software=software,
        role=role,
        running=running,
        startup=startup,
        verdict=audit_config(running),
        bootvar=bootvar,
        serial=found.serial,
    )


def read_running(io: DeviceIO, facts: TrainFacts, context: str | None) -> str:
    """The running configuration of the device (or context), on a fresh session."""
    return in_context(io, context, [facts.config_command])[0]


def role_and_running(
    io: DeviceIO, facts: TrainFacts, context: str | None
) -> tuple[Role | None, str]:
    """The unit's role now and the running configuration, on a fresh session: one round trip
    on a single-context device whose session sends reads together."""
    if context is None and facts.has_failover_show and io.pipelines:
        failover, running = io.read_many([FAILOVER, facts.config_command])
        return failover_state(failover).role, running
    return role_now(io, facts, context), read_running(io, facts, context)


def read_startup(io: DeviceIO, facts: TrainFacts, context: str | None) -> str:
    return in_context(io, context, [facts.startup_command])[0]


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
    may_ask: bool,
) -> None:
    """Send lines one by one; stop at the first refusal, and at a failover (the `/stby` prompt,
    or a standby's "Replication is NOT performed": nothing more goes to a standby unit).

    `sent` grows as each line is typed, so whoever catches an error knows how far it got.
    `may_ask`: the unit may ask the anonymous error reporting question
    (`pixfix.platforms.may_ask_reporting`).
    """
    for line in lines:
        sent.append(line)
        reply = _exchange(io, line, may_ask=may_ask)
        if failed_over(reply):
            raise FailedOver(f"the unit went standby after {line.strip()!r} (failover)")
        error = refused(_body(reply, line), error_pattern)
        if error is not None:
            raise LineRefused(f"{line.strip()!r} was refused: {error}")


def _exchange(io: DeviceIO, line: str, *, may_ask: bool) -> str:
    """One line; on a unit that may ask it, entering configuration mode may be followed by the
    anonymous error reporting question (after the first `(config)#` prompt), answered `A` (ask
    later). Other units never ask it, and nothing is waited for."""
    if may_ask and line.strip() in ENTER_CONFIG:
        return io.exchange(line, (REPORTING,), quiet=REPORTING_QUIET)
    return io.exchange(line)


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
    send_lines(io, before, error_pattern=error_pattern, sent=sent, may_ask=False)  # no config
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
