"""The per-device state machine against simulated devices run in-process (no sockets).

The lab's device model (`pixfix.lab`) is driven directly: `SimIO` types into a `CliSession`
as an SSH client would, so every rule of the machine meets a device that behaves like the lab
(prompts, errors, `reload in`, `write memory`, faults), with a fake clock so that waiting for a
dead-man timer takes no time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pixfix.apply.env import ChangeOptions, DeviceEnv
from pixfix.apply.machine import change_device
from pixfix.apply.model import (
    PROBE_DISAGREES,
    ChangeSpec,
    DeviceRecord,
    Outcome,
    apply_spec,
    rollback_spec,
)
from pixfix.audit.verdict import audit_config
from pixfix.errors import AuthError, ConnectError
from pixfix.inventory.load import Host, load_inventory
from pixfix.lab import commands
from pixfix.lab.device import SYSTEM, Device, Faults
from pixfix.lab.fleet import DeviceSpec, FleetOptions, build_devices, default_specs
from pixfix.lab.session import MORE, CliSession
from pixfix.model import DeviceResult, Status
from pixfix.plan.entry import DeviceMeta, Mode, PlanEntry, Reload, plan_entry
from pixfix.probe.classify import Verdict
from pixfix.probe.smtp import ProbeResult
from pixfix.probe.target import Target
from pixfix.transport.device_io import Recorded
from pixfix.transport.session import Answers
from pixfix.transport.telnet import strip_pager

USER, SECRET = "labuser-4b1d", "labenable-92ce"
T0 = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)


class Clock:
    """Fake time: `sleep` moves it on and fires the devices' scheduled reloads."""

    def __init__(self) -> None:
        self.now = T0
        self.due: dict[str, datetime] = {}
        self.devices: dict[str, Device] = {}
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.slept += seconds
        for name, due in list(self.due.items()):
            if self.now >= due:
                del self.due[name]
                self.devices[name].boot()

    def wire(self, device: Device) -> None:
        self.devices[device.name] = device
        hooks = device.hooks
        hooks.schedule_reload = lambda delay: self.due.__setitem__(
            device.name, self.now + timedelta(seconds=delay)
        )
        hooks.cancel_reload = lambda: self.due.pop(device.name, None)
        hooks.reload_now = device.boot


class SimIO:
    """`DeviceIO` typing into a lab `CliSession`, as netmiko over SSH would."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.session = CliSession(device, username=USER, dispatch=commands.handle_line)
        self.session.take_output()
        self.exchange("enable", ((r"Password: $", SECRET),))
        if device.train.has_terminal_pager:
            self.read("terminal pager 0")

    def _type(self, text: str) -> str:
        if self.session.closed:
            raise ConnectError("the device closed the session")
        self.session.feed(text + "\r")
        out = self.session.take_output()
        while out.endswith(MORE) or out.rstrip().endswith(MORE):
            self.session.feed(" ")
            out += self.session.take_output()
        if self.session.closed:
            raise ConnectError("the device closed the session")
        return strip_pager(out)[0].replace("\r\n", "\n")

    pipelines = False

    def read(self, command: str) -> str:
        lines = self._type(command).split("\n")
        return "\n".join(lines[1:-1])

    def read_many(self, commands: Sequence[str]) -> list[str]:
        return [self.read(command) for command in commands]

    def exchange(self, line: str, answers: Answers = (), *, quiet: float = 0.0) -> str:
        reply = self._type(line)
        for _ in answers:
            answer = next((a for q, a in answers if re.search(q, reply)), None)
            if answer is None:
                break
            reply += self._type(answer)
        return reply

    def leave(self, line: str, answers: Answers) -> str:
        return self.exchange(line, answers)


@dataclass
class Sim:
    """One simulated device with what the machine needs around it."""

    device: Device
    host: Host
    clock: Clock
    log: list[dict[str, Any]] = field(default_factory=list)
    backups: dict[str, str] = field(default_factory=dict)
    probe_verdict: Verdict | None = None
    reachable: int = 1000  # connections that succeed; later ones are refused

    @contextlib.contextmanager
    def connect(self) -> Iterator[Recorded]:
        if self.device.faults.wrong_credentials:
            raise AuthError("authentication failed at the lab")
        self.reachable -= 1
        if self.reachable < 0:
            raise ConnectError("connection refused by the lab")
        yield Recorded(SimIO(self.device), self.log.append)

    def env(self, **options: Any) -> DeviceEnv:
        def backup(which: str, text: str) -> str:
            self.backups[which] = text
            return f"{which}.cfg"

        def probe() -> ProbeResult:
            assert self.probe_verdict is not None
            return ProbeResult(
                target=Target(host="127.0.0.1", port=25),
                verdict=self.probe_verdict,
                signatures=(),
                transcript=(),
            )

        return DeviceEnv(
            host=self.host,
            connect=self.connect,
            probe=probe if self.probe_verdict is not None else None,
            backup=backup,
            log=self.log.append,
            clock=self.clock,
            sleep=self.clock.sleep,
            window_end=options.pop("window_end", None),
            options=ChangeOptions(poll=5.0, boot_wait=600.0, **options),
        )


def _device(name: str, **changes: Any) -> Device:
    specs, folder = default_specs()
    spec = next(s for s in specs if s.name == name)
    spec = DeviceSpec.model_validate(spec.model_dump() | changes)
    return build_devices([spec], folder, FleetOptions(boot_seconds=0))[0]


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text(
        "defaults: {username: labuser-4b1d, password: labpass-7f3a, secret: labenable-92ce}\n"
        "hosts:\n"
        "  dev: {host: 127.0.0.1, port: 1, mx: '127.0.0.1:25'}\n"
    )
    return path


def make_sim(inventory: Path, name: str, **changes: Any) -> Sim:
    device = _device(name, **changes)
    clock = Clock()
    clock.wire(device)
    host = replace(load_inventory(inventory).hosts[0], name=name)
    return Sim(device=device, host=host, clock=clock)


def read_config(device: Device, context: str | None) -> str:
    io = SimIO(device)
    if context is not None:
        io.read(f"changeto context {context}")
    command = "write terminal" if device.is_mailhost else "show running-config"
    return io.read(command)


def plan_for(sim: Sim, *, context: str | None = None, mode: Mode = Mode.DISABLE) -> PlanEntry:
    text = read_config(sim.device, context)
    result = DeviceResult.from_verdict(sim.device.name, audit_config(text), context=context)
    meta = DeviceMeta(transport="ssh", role=None)
    return plan_entry(result, text, meta, mode=mode, reload=Reload.NEVER)


def run(sim: Sim, spec: ChangeSpec, **options: Any) -> DeviceRecord:
    return change_device(spec, sim.env(**options))


def status_of(device: Device, context: str | None = None) -> Status:
    return audit_config(read_config(device, context)).status


def ctx_of(device: Device, context: str | None) -> Any:
    return device.contexts[context or ""]


# ---- the way through ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lab-asa84", "lab-pix63", "lab-pix41", "lab-fwsm31", "lab-pix70"])
def test_applied_verified_and_saved(inventory: Path, name: str) -> None:
    sim = make_sim(inventory, name)
    entry = plan_for(sim)
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.APPLIED, record
    assert status_of(sim.device) is Status.COMPLIANT
    ctx = ctx_of(sim.device, None)
    assert ctx.running == ctx.startup and sim.device.counters.saves == 1
    assert record.saved and record.commands == (*entry.commands, *entry.save)
    assert set(sim.backups) == {"before", "after"} and record.after_fingerprint
    assert record.verification == {"status": "compliant", "findings": []}
    assert record.diff.startswith("--- before\n+++ after\n")


def test_tune_mode_ends_tuned(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    record = run(sim, apply_spec(plan_for(sim, mode=Mode.TUNE), None))
    assert record.status is Outcome.APPLIED
    assert status_of(sim.device) is Status.TUNED


def test_a_context_is_changed_and_saved_inside_it(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa-multi")
    entry = plan_for(sim, context="mail")
    assert entry.commands[0] == "changeto context mail"
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.APPLIED
    assert status_of(sim.device, "mail") is Status.COMPLIANT
    mail = sim.device.contexts["mail"]
    assert mail.running == mail.startup
    assert sim.device.contexts[SYSTEM].running == sim.device.contexts[SYSTEM].startup


def test_second_apply_is_already_compliant_and_sends_nothing(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    spec = apply_spec(plan_for(sim), None)
    run(sim, spec)
    sessions = sim.device.counters.config_sessions
    again = run(sim, spec)
    assert again.status is Outcome.ALREADY_COMPLIANT and again.commands == ()
    assert sim.device.counters.config_sessions == sessions


def test_rollback_restores_then_is_a_no_op(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-pix63")
    entry = plan_for(sim)
    applied = run(sim, apply_spec(entry, None))
    back = rollback_spec(entry, applied.after_fingerprint, sim.backups["after"])
    restored = run(sim, back)
    assert restored.status is Outcome.RESTORED, restored
    now = audit_config(read_config(sim.device, None))
    assert now.status is Status.EXPOSED
    assert {f.line for f in now.findings} == {f.line for f in entry.findings}
    assert ctx_of(sim.device, None).running == ctx_of(sim.device, None).startup
    assert run(sim, back).status is Outcome.ALREADY_RESTORED


def test_rollback_refuses_a_device_changed_after_the_apply(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    entry = plan_for(sim)
    applied = run(sim, apply_spec(entry, None))
    io = SimIO(sim.device)
    for line in ("configure terminal", "logging buffered warnings", "end", "write memory"):
        io.exchange(line)
    record = run(sim, rollback_spec(entry, applied.after_fingerprint, sim.backups["after"]))
    assert record.status is Outcome.DRIFTED
    assert "+logging buffered warnings" in record.difference


# ---- checks 1-4 -----------------------------------------------------------------------------


def test_drifted_device_is_untouched_and_the_difference_shown(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    entry = plan_for(sim)
    io = SimIO(sim.device)
    for line in ("configure terminal", "logging buffered warnings", "end", "write memory"):
        io.exchange(line)
    sessions = sim.device.counters.config_sessions
    record = run(sim, apply_spec(entry, read_config(sim.device, None)))
    assert record.status is Outcome.DRIFTED and record.commands == ()
    assert sim.device.counters.config_sessions == sessions


def test_standby_is_refused(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84", failover="active")
    entry = plan_for(sim)
    sim.device.failover = "standby"
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.REFUSED_STANDBY and record.commands == ()


def test_unsaved_edits_are_refused_and_never_saved(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    io = SimIO(sim.device)
    for line in ("configure terminal", "logging buffered warnings", "end"):
        io.exchange(line)
    entry = plan_for(sim)  # planned after the edit: no drift, only unsaved changes
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.UNSAVED_CHANGES and record.commands == ()
    assert "+logging buffered warnings" in record.difference
    assert sim.device.counters.saves == 0
    assert "logging buffered warnings" not in ctx_of(sim.device, None).startup


def test_allow_unsaved_saves_them_and_says_so(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    io = SimIO(sim.device)
    for line in ("configure terminal", "logging buffered warnings", "end"):
        io.exchange(line)
    entry = plan_for(sim)
    record = run(sim, apply_spec(entry, None), allow_unsaved=True, confirm_minutes=10)
    assert record.status is Outcome.APPLIED
    assert "saved-others-edits" in record.warnings
    assert record.timer is not None and "unsaved changes" in record.timer.note
    assert "logging buffered warnings" in ctx_of(sim.device, None).startup


def test_dry_run_enters_no_configuration_mode(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    entry = plan_for(sim)
    record = run(sim, apply_spec(entry, None), dry_run=True, confirm_minutes=10)
    assert record.status is Outcome.WOULD_APPLY
    assert record.would_send == ("reload in 10", *entry.commands, "reload cancel", *entry.save)
    assert sim.device.counters.config_sessions == 0 and record.commands == ()


# ---- failures after the first line ----------------------------------------------------------


def test_refused_line_is_rolled_back_and_nothing_saved(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    entry = plan_for(sim)
    broken = replace(entry, commands=(*entry.commands[:-1], "bogus-command", "end"))
    record = run(sim, apply_spec(broken, None))
    assert record.status is Outcome.ROLLED_BACK, record
    assert "refused" in record.reason
    assert status_of(sim.device) is Status.EXPOSED and sim.device.counters.saves == 0


def test_failed_verification_is_rolled_back(inventory: Path) -> None:
    """Commands that pass on the device but do not fix it: never saved."""
    sim = make_sim(inventory, "lab-asa84")
    entry = plan_for(sim)
    harmless = replace(entry, commands=("configure terminal", "logging timestamp", "end"))
    record = run(sim, apply_spec(harmless, None))
    assert record.status is Outcome.ROLLED_BACK
    assert "verification failed" in record.reason
    assert sim.device.counters.saves == 0


def test_someone_editing_during_the_change_is_never_saved(inventory: Path) -> None:
    """Another session edits between the change and its verification: roll back, save nothing."""
    sim = make_sim(inventory, "lab-asa84")
    entry = plan_for(sim)
    plain = sim.connect

    @contextlib.contextmanager
    def meddling() -> Iterator[Recorded]:
        if sim.device.counters.config_sessions == 1:  # after our change, before verifying
            other = SimIO(sim.device)
            for line in ("configure terminal", "logging timestamp", "end"):
                other.exchange(line)
        with plain() as io:
            yield io

    env = replace(sim.env(), connect=meddling)
    record = change_device(apply_spec(entry, None), env)
    assert record.status is Outcome.ROLLED_BACK, record
    assert "lines the change does not explain" in record.reason
    assert "logging timestamp" in record.reason
    assert sim.device.counters.saves == 0
    assert "logging timestamp" not in ctx_of(sim.device, None).startup


def test_failover_during_the_change_sends_nothing_more_to_the_standby(inventory: Path) -> None:
    """The unit went standby and the address still reaches it (its own address, not the
    pair's): its mate, now active, has the change by replication. No undo line goes to the
    standby (it would answer "Replication is NOT performed"): the device needs attention."""
    sim = make_sim(inventory, "lab-asa84", failover="active", faults={"failover_after_config": 2})
    entry = plan_for(sim)
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.NEEDS_ATTENTION, record
    assert "failover" in record.reason and "nothing is sent to it" in record.reason
    assert record.commands == entry.commands[:3]  # stopped at the prompt that showed /stby
    assert record.manual and sim.device.counters.saves == 0


def test_failover_seen_only_in_show_failover_is_caught_before_the_save(inventory: Path) -> None:
    """PIX 6 has no role in its prompt: the verification session asks `show failover`."""
    sim = make_sim(inventory, "lab-pix63", failover="active", faults={"failover_after_config": 2})
    entry = plan_for(sim)
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.NEEDS_ATTENTION, record
    assert "standby now" in record.reason and "nothing is sent to it" in record.reason
    assert record.commands == entry.commands  # nothing after the change itself
    assert sim.device.counters.saves == 0


def test_lost_session_without_timer_is_rolled_back(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-pix63", faults={"drop_after_config": 2})
    entry = plan_for(sim)
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.ROLLED_BACK, record
    assert "session lost" in record.reason
    assert audit_config(read_config(sim.device, None)).status is Status.EXPOSED
    assert sim.device.counters.saves == 0


def test_lost_session_with_timer_waits_for_the_reload(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84", faults={"drop_after_config": 3})
    entry = plan_for(sim)
    record = run(sim, apply_spec(entry, None), confirm_minutes=5)
    assert record.status is Outcome.REVERTED, record
    assert sim.device.counters.reloads == 1 and sim.device.counters.saves == 0
    assert status_of(sim.device) is Status.EXPOSED
    assert sim.clock.slept >= 5 * 60
    undo = [line for line in record.commands if line.strip() == "inspect esmtp"]
    assert undo == []  # touched nothing while waiting


def test_lost_session_and_no_way_back_needs_attention(inventory: Path) -> None:
    """No timer and no session: the exact state and the lines to finish by hand."""
    sim = make_sim(inventory, "lab-asa84", faults={"drop_after_config": 3})
    entry = plan_for(sim)
    sim.reachable = 1
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.NEEDS_ATTENTION, record
    assert "nothing was saved" in record.reason and "no reload is scheduled" in record.reason
    assert "connection refused" in record.reason
    assert [step.strip() for step in record.manual if step.startswith("    ")] == [
        line.strip() for line in entry.rollback
    ]
    assert sim.device.counters.saves == 0


def test_lost_session_under_a_timer_with_the_device_gone_needs_attention(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84", faults={"drop_after_config": 3})
    entry = plan_for(sim)
    sim.reachable = 1
    sim.clock.due.clear()
    sim.device.hooks.schedule_reload = lambda delay: None  # the timer never fires
    record = run(sim, apply_spec(entry, None), confirm_minutes=5)
    assert record.status is Outcome.NEEDS_ATTENTION, record
    assert "not reachable again" in record.reason
    assert "reload cancel" in record.manual[-1]


def test_failing_save_is_rolled_back(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84", faults={"write_fails": True})
    record = run(sim, apply_spec(plan_for(sim), None), confirm_minutes=5)
    assert record.status is Outcome.ROLLED_BACK, record
    assert "save failed" in record.reason
    assert status_of(sim.device) is Status.EXPOSED
    assert sim.device.reload_at is None  # the timer was cancelled before the save
    assert not record.saved


def test_rollback_that_cannot_finish_needs_attention(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    entry = plan_for(sim)
    spec = apply_spec(entry, None)
    broken = replace(spec, forward=(*entry.commands[:-1], "bogus-command", "end"), undo=())
    record = run(sim, broken)
    assert record.status is Outcome.NEEDS_ATTENTION, record
    assert record.manual and "do NOT save" in record.manual[-1]
    assert sim.device.counters.saves == 0


def test_unreachable_device_is_an_error_that_sent_nothing(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84", faults={"wrong_credentials": True})
    record = run(sim, apply_spec(plan_for_clean(sim), None))
    assert record.status is Outcome.ERROR and record.commands == ()
    assert "nothing of the change was sent" in record.reason


def plan_for_clean(sim: Sim) -> PlanEntry:
    faults, sim.device.faults = sim.device.faults, Faults()
    try:
        return plan_for(sim)
    finally:
        sim.device.faults = faults


def test_the_plans_reload_comes_after_the_save(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    entry = replace(plan_for(sim), reload=("reload",))
    record = run(sim, apply_spec(entry, None))
    assert record.status is Outcome.APPLIED, record
    assert record.commands[-2:] == ("write memory", "reload")
    assert sim.device.counters.reloads == 1 and status_of(sim.device) is Status.COMPLIANT
    assert any("reload was sent" in note for note in record.notes)


# ---- the dead-man timer ---------------------------------------------------------------------


def test_timer_is_armed_then_cancelled_on_success(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    record = run(sim, apply_spec(plan_for(sim), None), confirm_minutes=5)
    assert record.status is Outcome.APPLIED
    assert record.timer is not None and record.timer.armed_at and record.timer.cancelled
    assert record.commands[0] == "reload in 5" and "reload cancel" in record.commands
    assert sim.device.reload_at is None and sim.device.counters.reloads == 0


@pytest.mark.parametrize(
    ("name", "changes", "why"),
    [
        ("lab-pix63", {}, "not on PIX"),
        ("lab-fwsm31", {}, "not on FWSM"),
        ("lab-asa84", {"failover": "active"}, "active failover unit"),
    ],
)
def test_no_timer_where_a_reload_would_hurt(
    inventory: Path, name: str, changes: dict[str, Any], why: str
) -> None:
    sim = make_sim(inventory, name, **changes)
    record = run(sim, apply_spec(plan_for(sim), None), confirm_minutes=5)
    assert record.status is Outcome.APPLIED
    assert record.timer is not None and why in record.timer.note
    assert not any(line.startswith("reload") for line in record.commands)


def test_no_timer_in_multiple_context_mode(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa-multi")
    record = run(sim, apply_spec(plan_for(sim, context="mail"), None), confirm_minutes=5)
    assert record.status is Outcome.APPLIED
    assert record.timer is not None and "multiple-context" in record.timer.note


def test_timer_that_would_outlast_the_window_refuses_the_device(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    end = T0 + timedelta(minutes=3)
    record = run(sim, apply_spec(plan_for(sim), None), confirm_minutes=5, window_end=end)
    assert record.status is Outcome.OUTSIDE_WINDOW and record.commands == ()
    assert sim.device.counters.config_sessions == 0


# ---- the probe ------------------------------------------------------------------------------


def test_probe_agreeing_and_disagreeing(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    sim.probe_verdict = Verdict.CLEAN
    spec = apply_spec(plan_for(sim), None)
    good = run(sim, spec)
    assert good.probe is not None and good.probe.agreement == "agrees"
    assert PROBE_DISAGREES not in good.warnings
    other = make_sim(inventory, "lab-asa84")
    other.probe_verdict = Verdict.MAILGUARD
    bad = run(other, apply_spec(plan_for(other), None))
    assert bad.status is Outcome.APPLIED  # the change is kept: another device may inspect
    assert PROBE_DISAGREES in bad.warnings
    assert bad.probe is not None and bad.probe.verdict == "mailguard"


def test_every_exchange_is_logged(inventory: Path) -> None:
    sim = make_sim(inventory, "lab-asa84")
    record = run(sim, apply_spec(plan_for(sim), None))
    events = [item["event"] for item in sim.log if "event" in item]
    assert events[0] == "start" and events[-1] == "end"
    typed = [item["command"] for item in sim.log if "command" in item]
    assert [c for c in typed if c in record.commands] == list(record.commands)
    replies = [item["reply"] for item in sim.log if item.get("command") == "write memory"]
    assert replies and "[OK]" in replies[0]
