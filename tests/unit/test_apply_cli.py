"""`pixfix apply` and `pixfix rollback` through click's runner, over in-process devices.

The devices are the lab's models driven in-process (see test_apply_machine.py), so every rule
that is about the command rather than one device is tested here quickly: refusals before any
device (exit 2, no run directory), confirmation, windows, canaries, the failure budget, locks,
the run directory, and exit codes.
"""

from __future__ import annotations

import contextlib
import json
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from test_apply_machine import SimIO, read_config

from pixfix.apply.locks import device_lock, lock_key, serial_key
from pixfix.apply.run import Effects
from pixfix.audit.verdict import audit_config
from pixfix.cli import PixfixGroup
from pixfix.cli import apply as apply_cli
from pixfix.errors import AuthError
from pixfix.inventory.load import Host
from pixfix.lab.device import Device, Faults
from pixfix.lab.fleet import FleetOptions, build_devices, default_specs
from pixfix.model import Collected, DeviceResult, Role
from pixfix.plan.approval import approve
from pixfix.plan.entry import DeviceMeta, Mode, Reload
from pixfix.plan.fleet import plan_devices
from pixfix.plan.report import PlanHeader, plan_files
from pixfix.probe.classify import Verdict
from pixfix.probe.smtp import ProbeResult
from pixfix.probe.target import Target
from pixfix.store.plan_dir import write_plan_dir
from pixfix.transport.device_io import DeviceIO
from pixfix.transport.hostkeys import KeyOptions
from pixfix.transport.params import ConnectOptions

NAMES = ("lab-asa84", "lab-pix63", "lab-asa98-iface", "lab-asa-multi", "lab-asa916-clean")
PASSWORDS = ("labpass-7f3a", "labenable-92ce")


@dataclass
class Fleet:
    """In-process devices, their inventory, an approved plan, and a clock."""

    devices: dict[str, Device]
    inventory: Path
    plan: Path
    runs: Path
    offset: timedelta = timedelta(0)
    per_connect: timedelta = timedelta(0)  # how far a connection moves the clock on
    connects: list[str] = field(default_factory=list)
    host_keys: list[KeyOptions] = field(default_factory=list)

    def clock(self) -> datetime:
        """Real time (`--window now/...` is read from it) moved on by fake sleeps."""
        return datetime.now(UTC) + self.offset

    def sleep(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    @contextlib.contextmanager
    def connect(self, host: Host, options: ConnectOptions) -> Iterator[DeviceIO]:
        self.connects.append(host.name)
        self.host_keys.append(options.host_keys)
        self.offset += self.per_connect
        device = self.devices[host.name]
        if device.faults.wrong_credentials:
            raise AuthError("authentication failed")
        yield SimIO(device)

    def probe(self, target: Target, timeout: float) -> ProbeResult:
        return ProbeResult(target=target, verdict=Verdict.CLEAN, signatures=(), transcript=())

    def effects(self) -> Effects:
        return Effects(connect=self.connect, probe=self.probe, clock=self.clock, sleep=self.sleep)

    def sessions(self) -> dict[str, int]:
        return {name: d.counters.config_sessions for name, d in self.devices.items()}

    def saves(self) -> dict[str, int]:
        return {name: d.counters.saves for name, d in self.devices.items()}


def _collected(device: Device) -> list[Collected]:
    contexts = device.user_contexts or [None]
    out = []
    for context in contexts:
        text = read_config(device, context)
        result = DeviceResult.from_verdict(device.name, audit_config(text), context=context)
        out.append(Collected(result=result, config=text))
    return out


def write_plan(devices: dict[str, Device], folder: Path, *, inventory: Path) -> Path:
    inputs = [
        (c, DeviceMeta(transport="ssh", role=Role(device.failover or "standalone")))
        for device in devices.values()
        for c in _collected(device)
    ]
    planned = plan_devices(inputs, mode=Mode.DISABLE, reload=Reload.NEVER)
    header = PlanHeader(
        plan_id="p1",
        created_at="2026-12-05T20:00:00Z",
        mode="disable",
        reload="never",
        version="test",
        inventory=str(inventory),
    )
    write_plan_dir(folder, plan_files(header, planned))
    return folder


def write_inventory(path: Path, names: tuple[str, ...], window: str = "") -> Path:
    lines = [
        "defaults: {username: labuser-4b1d, password: labpass-7f3a, secret: labenable-92ce}",
        "hosts:",
    ]
    lines += [
        f"  {name}: {{host: 127.0.0.1, port: {10 + i}, mx: '127.0.0.1:25'{window}}}"
        for i, name in enumerate(names)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def make_fleet(tmp_path: Path, names: tuple[str, ...] = NAMES, **faults: dict[str, Any]) -> Fleet:
    specs, folder = default_specs()
    chosen = [s for s in specs if s.name in names]
    options = FleetOptions(boot_seconds=0, faults=faults)
    devices = {d.name: d for d in build_devices(chosen, folder, options)}
    inventory = write_inventory(tmp_path / "inv.yaml", names)
    plan = write_plan(devices, tmp_path / "plan", inventory=inventory)
    return Fleet(devices=devices, inventory=inventory, plan=plan, runs=tmp_path / "runs")


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fleet:
    made = make_fleet(tmp_path)
    approve(made.plan, by="ann")
    monkeypatch.setenv("PIXFIX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(apply_cli, "Effects", made.effects)
    return made


@pytest.fixture
def cli() -> click.Group:
    group = PixfixGroup("pixfix")
    group.add_command(apply_cli.apply)
    group.add_command(apply_cli.rollback)
    return group


def run(cli: click.Group, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def apply(cli: click.Group, fleet: Fleet, *extra: str) -> Result:
    return run(cli, "apply", fleet.plan, "--out", fleet.runs, "-q", *extra)


def only_run(fleet: Fleet) -> Path:
    runs = sorted(fleet.runs.iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def result_of(run_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run_dir / "result.json").read_text())
    return document


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {
        d["name"] + (f"/{d['context']}" if d["context"] else ""): d["status"]
        for d in document["devices"]
    }


def test_host_key_options_reach_every_connection(cli: click.Group, fleet: Fleet) -> None:
    result = apply(
        cli, fleet, "--dry-run", "--window", "now/PT2H", "--known-hosts", "kh", "--trust-new-keys"
    )
    assert result.exit_code in (0, 1), result.output
    assert fleet.host_keys and set(fleet.host_keys) == {
        KeyOptions(known_hosts=Path("kh"), trust_new=True)
    }
    assert "--known-hosts" in run(cli, "rollback", "--help").output


# ---- refused before any device --------------------------------------------------------------


def test_unapproved_plan_is_refused(cli: click.Group, tmp_path: Path, monkeypatch: Any) -> None:
    made = make_fleet(tmp_path)
    monkeypatch.setattr(apply_cli, "Effects", made.effects)
    result = apply(cli, made, "--yes", "--window", "now/PT2H")
    assert result.exit_code == 2 and "not approved" in result.output
    assert not made.runs.exists() and made.connects == []


def test_under_approved_plan_is_refused(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H", "--require-approvals", "2")
    assert result.exit_code == 2 and "1 approval(s) (ann); 2 required" in result.output
    approve(fleet.plan, by="bob")
    approve_again = apply(cli, fleet, "--yes", "--window", "now/PT2H", "--require-approvals", "2")
    assert approve_again.exit_code == 0, approve_again.output


def test_modified_plan_is_refused(cli: click.Group, fleet: Fleet) -> None:
    plan_json = fleet.plan / "plan.json"
    plan_json.write_text(plan_json.read_text().replace("no inspect esmtp", "no inspect ftp"))
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H")
    assert result.exit_code == 2 and "changed since ann approved it" in result.output
    assert not fleet.runs.exists() and fleet.connects == []


def test_not_a_plan_is_refused(cli: click.Group, fleet: Fleet, tmp_path: Path) -> None:
    result = run(cli, "apply", tmp_path, "--yes", "--out", fleet.runs)
    assert result.exit_code == 2 and "not a plan directory" in result.output


def test_no_terminal_and_no_yes_is_refused(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--window", "now/PT2H")
    assert result.exit_code == 2 and "pass --yes" in result.output
    assert not fleet.runs.exists() and fleet.connects == []


def test_a_terminal_is_asked_first(
    cli: click.Group, fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply_cli, "_on_terminal", lambda: True)
    args = ["apply", str(fleet.plan), "--out", str(fleet.runs), "-q", "--window", "now/PT2H"]
    declined = CliRunner().invoke(cli, args, input="n\n")
    assert declined.exit_code == 2 and "not confirmed: nothing was sent" in declined.output
    assert "Apply plan p1 to 4 device(s): lab-asa-multi/mail, lab-asa84" in declined.output
    assert not fleet.runs.exists() and fleet.connects == []
    accepted = CliRunner().invoke(cli, args, input="y\n")
    assert accepted.exit_code == 0, accepted.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--window", "tomorrow/PT2H"), "not an ISO 8601 date"),
        (("--window", "now/PT2H", "--confirm-minutes", "1"), "--confirm-minutes 1 is too short"),
        (("--window", "now/PT2H", "--limit", "nothing-*"), "selects no device"),
    ],
)
def test_bad_options_are_refused(
    cli: click.Group, fleet: Fleet, args: tuple[str, ...], message: str
) -> None:
    result = apply(cli, fleet, "--yes", *args)
    assert result.exit_code == 2 and message in result.output
    assert not fleet.runs.exists()


# ---- windows --------------------------------------------------------------------------------


def test_no_window_touches_nothing(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--yes")
    assert result.exit_code == 1, result.output
    found = statuses(result_of(only_run(fleet)))
    assert set(found.values()) == {"no-window", "nothing-to-do"}
    assert fleet.connects == []


def test_outside_window_and_min_remaining(cli: click.Group, fleet: Fleet) -> None:
    past = apply(cli, fleet, "--yes", "--window", "2020-01-01T00:00Z/PT2H")
    assert past.exit_code == 1
    short = apply(cli, fleet, "--yes", "--window", "now/PT10M")
    assert short.exit_code == 1 and "only 9 minute(s)" in short.output
    assert fleet.connects == []
    allowed = apply(cli, fleet, "--yes", "--window", "now/PT10M", "--min-remaining", "5")
    assert allowed.exit_code == 0, allowed.output


def test_inventory_window_is_intersected_with_the_option(cli: click.Group, fleet: Fleet) -> None:
    closed = (fleet.clock().hour + 12) % 24  # an inventory window that is not open now
    write_inventory(
        fleet.inventory,
        NAMES,
        window=f", change_window: {{cron: '0 {closed} * * *', duration: 1h, timezone: UTC}}",
    )
    result = apply(cli, fleet, "--yes", "--window", "now/PT1M", "--min-remaining", "0")
    found = statuses(result_of(sorted(fleet.runs.iterdir())[0]))
    assert result.exit_code == 1
    assert set(found.values()) == {"outside-window", "nothing-to-do"} and fleet.connects == []
    assert f"outside the change window (inventory '0 {closed} * * *'" in result.output
    assert "and --window" in result.output and "does not open again" in result.output
    opened = ", change_window: {cron: '* * * * *', duration: 1h, timezone: UTC}"
    write_inventory(fleet.inventory, NAMES, window=opened)
    inside = apply(cli, fleet, "--yes", "--window", "now/PT1H", "--min-remaining", "0")
    assert inside.exit_code == 0, inside.output


def test_a_device_started_in_the_window_finishes_no_new_one_starts(
    cli: click.Group, fleet: Fleet
) -> None:
    fleet.per_connect = timedelta(minutes=8)  # each session takes 8 minutes
    result = apply(
        cli, fleet, "--yes", "--window", "now/PT20M", "--min-remaining", "1", "--workers", "1"
    )
    found = statuses(result_of(only_run(fleet)))
    assert result.exit_code == 1
    assert found["lab-asa84"] == "applied"  # finished although the window closed meanwhile
    assert "outside-window" in found.values()


# ---- running --------------------------------------------------------------------------------


def test_dry_run_sends_nothing_and_enters_no_config_mode(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--dry-run", "--window", "now/PT2H")
    assert result.exit_code == 0, result.output
    assert set(fleet.sessions().values()) == {0}
    document = result_of(only_run(fleet))
    assert document["dry_run"] is True
    found = statuses(document)
    assert found["lab-asa84"] == "would-apply" and found["lab-asa916-clean"] == "nothing-to-do"
    assert "would send:   no inspect esmtp" in result.output
    assert rolled_back_refused(cli, fleet, only_run(fleet))


@pytest.mark.parametrize(
    ("window", "status"),
    [
        ("2026-01-01T22:00Z/2026-01-02T02:00Z", "outside-window"),  # in the past
        ("now/PT10M", "outside-window"),  # less than --min-remaining (15 minutes) left
        (None, "no-window"),
        ("now/PT2H", "would-apply"),
    ],
    ids=["past", "too-short", "none", "open"],
)
def test_a_dry_run_decides_the_window_as_the_real_run_does(
    cli: click.Group, fleet: Fleet, window: str | None, status: str
) -> None:
    given = ["--window", window] if window else []
    dry = apply(cli, fleet, "--dry-run", *given)
    found = statuses(result_of(only_run(fleet)))
    assert found["lab-asa84"] == status, dry.output
    assert dry.exit_code == (0 if status == "would-apply" else 1)
    assert set(fleet.sessions().values()) == {0}


def rolled_back_refused(cli: click.Group, fleet: Fleet, run_dir: Path) -> bool:
    result = run(cli, "rollback", run_dir, "--yes", "--out", fleet.runs)
    return result.exit_code == 2 and "not a dry run" in result.output


def test_apply_then_rollback_then_rollback_again(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H", "--workers", "3")
    assert result.exit_code == 0, result.output
    applied = only_run(fleet)
    found = statuses(result_of(applied))
    assert found == {
        "lab-asa84": "applied",
        "lab-pix63": "applied",
        "lab-asa98-iface": "applied",
        "lab-asa-multi/admin": "nothing-to-do",
        "lab-asa-multi/mail": "applied",
        "lab-asa916-clean": "nothing-to-do",
    }
    assert fleet.saves()["lab-asa916-clean"] == 0
    back = run(cli, "rollback", applied, "--yes", "--window", "now/PT2H", "--out", fleet.runs)
    assert back.exit_code == 0, back.output
    twice = run(cli, "rollback", applied, "--yes", "--window", "now/PT2H", "--out", fleet.runs)
    assert twice.exit_code == 0
    runs = sorted(fleet.runs.iterdir())
    assert len(runs) == 3
    assert set(statuses(result_of(runs[1])).values()) == {"restored", "nothing-to-do"}
    assert set(statuses(result_of(runs[2])).values()) == {"already-restored", "nothing-to-do"}


def test_run_directory_is_complete_private_and_secret_free(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H")
    run_dir = only_run(fleet)
    names = {p.name for p in run_dir.iterdir()}
    assert names == {"result.json", "log.jsonl", "report.md", "report.html", "backups"}
    assert "lab-asa84.before.cfg" in {p.name for p in (run_dir / "backups").iterdir()}
    assert "lab-asa-multi@mail.after.cfg" in {p.name for p in (run_dir / "backups").iterdir()}
    for path in run_dir.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)
        if path.is_file():
            assert not any(p in path.read_text() for p in PASSWORDS), path
    assert not any(p in result.output for p in PASSWORDS)
    document = result_of(run_dir)
    assert document["exit_code"] == 0 and document["plan"]["approved_by"] == ["ann"]
    assert "lab-asa84" in (run_dir / "report.md").read_text()


def test_limit_selects_devices(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H", "--limit", "lab-pix*")
    assert result.exit_code == 0
    assert statuses(result_of(only_run(fleet))) == {"lab-pix63": "applied"}


def test_a_failed_canary_stops_the_rest(cli: click.Group, fleet: Fleet) -> None:
    fleet.devices["lab-asa-multi"].faults = Faults(write_fails=True)  # first in plan order
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H", "--canary", "1")
    assert result.exit_code == 1
    found = statuses(result_of(only_run(fleet)))
    assert found["lab-asa-multi/mail"] == "rolled-back"
    assert {found[n] for n in ("lab-asa84", "lab-pix63", "lab-asa98-iface")} == {"not-started"}
    assert set(fleet.saves().values()) == {0}


def test_good_canaries_let_the_rest_go(cli: click.Group, fleet: Fleet) -> None:
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H", "--canary", "2")
    assert result.exit_code == 0, result.output
    assert "not-started" not in statuses(result_of(only_run(fleet))).values()


def test_max_failures_stops_new_devices(cli: click.Group, fleet: Fleet) -> None:
    for name in ("lab-asa-multi", "lab-asa84"):  # the first two in plan order
        fleet.devices[name].faults = Faults(write_fails=True)
    result = apply(
        cli, fleet, "--yes", "--window", "now/PT2H", "--workers", "1", "--max-failures", "2"
    )
    found = statuses(result_of(only_run(fleet)))
    assert result.exit_code == 1
    assert [found[n] for n in ("lab-asa-multi/mail", "lab-asa84")] == ["rolled-back"] * 2
    assert [found[n] for n in ("lab-asa98-iface", "lab-pix63")] == ["not-started"] * 2


def test_error_wins_the_exit_code(cli: click.Group, fleet: Fleet) -> None:
    fleet.devices["lab-pix63"].faults = Faults(wrong_credentials=True)
    result = apply(cli, fleet, "--yes", "--window", "now/PT2H", "--max-failures", "5")
    assert result.exit_code == 3
    found = statuses(result_of(only_run(fleet)))
    assert found["lab-pix63"] == "error" and found["lab-asa84"] == "applied"


def test_a_locked_device_is_refused_clearly(cli: click.Group, fleet: Fleet, tmp_path: Path) -> None:
    folder = tmp_path / "state" / "locks"
    with device_lock(lock_key("127.0.0.1", 10), label="x", holder="another run", folder=folder):
        result = apply(
            cli, fleet, "--yes", "--window", "now/PT2H", "--lock-wait", "0.3", "--max-failures", "9"
        )
    found = statuses(result_of(only_run(fleet)))
    assert result.exit_code == 1  # skipped, as a device outside its window is
    assert found["lab-asa84"] == "busy" and "locked by another run" in result.output
    assert found["lab-pix63"] == "applied"


def test_a_unit_is_locked_by_its_serial_number_whatever_its_address(
    cli: click.Group, fleet: Fleet, tmp_path: Path
) -> None:
    """Another run reaching lab-asa84 by another name or address holds its serial's lock."""
    folder = tmp_path / "state" / "locks"
    serial = f"JMX{zlib.crc32(b'lab-asa84') % 10**8:08d}"  # what the lab's `show version` says
    with device_lock(serial_key(serial), label="x", holder="a run on fw-b", folder=folder):
        result = apply(
            cli, fleet, "--yes", "--window", "now/PT2H", "--lock-wait", "0.3", "--max-failures", "9"
        )
    document = result_of(only_run(fleet))
    found = statuses(document)
    assert result.exit_code == 1
    assert found["lab-asa84"] == "busy" and found["lab-pix63"] == "applied"
    busy = next(d for d in document["devices"] if d["name"] == "lab-asa84")
    assert "locked by a run on fw-b" in busy["reason"] and busy["commands"] == []
