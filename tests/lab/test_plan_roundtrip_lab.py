"""Plans sent to the lab devices over SSH/telnet: the commands fix, the rollback restores.

For every default lab device (each context of lab-asa-multi), in both modes: audit live, build
the plan entry, send `commands` line by line, re-audit (compliant, or tuned where tune mode
applies), send `rollback`, re-audit (the original findings). `save` is never sent, so the lab's
`saves` counter stays 0. The standby unit gets no commands.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from pixfix.audit.live import Collected, CollectOptions, collect_host
from pixfix.inventory.load import Host, load_inventory
from pixfix.lab.fleet import FleetOptions, build_devices, default_specs
from pixfix.model import Finding, Role, Status
from pixfix.parse.config import config_software
from pixfix.plan.entry import DeviceMeta, Mode, PlanEntry, Reload, plan_entry
from pixfix.platforms import FACTS, REPORTING
from pixfix.transport.connect import open_session

pytestmark = pytest.mark.timeout(600)

DEVICES = [d.name for d in build_devices(*default_specs(), FleetOptions())]
PROMPT = r"#\s*$"  # privileged and config-mode prompts, whatever the context
QUESTION, ASK_LATER = REPORTING  # lab-asa-reporting asks at its first `configure terminal`


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory()


def _host(lab: Any, name: str) -> Host:
    return next(h for h in load_inventory(lab.inventory).hosts if h.name == name)


def _collect(lab: Any, name: str) -> dict[str | None, Collected]:
    collected = collect_host(_host(lab, name), CollectOptions(timeout=20.0))
    return {c.result.context: c for c in collected}


def _keys(findings: tuple[Finding, ...]) -> Counter[tuple[object, ...]]:
    return Counter(
        (f.line, f.kind, f.ports, f.policy, f.class_name, f.map_name, f.scope) for f in findings
    )


def _send(lab: Any, name: str, lines: tuple[str, ...], error_pattern: str) -> None:
    """One line at a time from the privileged prompt, each answered by a prompt (`...#`);
    any device error text fails the test."""
    errors = re.compile(error_pattern)
    with open_session(lab.params(name)) as conn:
        for line in lines:
            expect = f"{PROMPT}|{QUESTION}"
            reply = str(conn.send_command(line, expect_string=expect, strip_prompt=False))
            if re.search(QUESTION, reply):
                reply = str(conn.send_command(ASK_LATER, expect_string=PROMPT, strip_prompt=False))
            assert not errors.search(reply), f"{name}: {line!r} -> {reply!r}"


def _plan(lab: Any, collected: Collected, mode: Mode) -> PlanEntry:
    host = _host(lab, collected.result.name)
    meta = DeviceMeta(transport=host.transport.value, managed_by=host.managed_by)
    return plan_entry(collected.result, collected.config, meta, mode=mode, reload=Reload.NEVER)


def _round_trip(lab: Any, before: Collected, mode: Mode) -> None:
    name, context = before.result.name, before.result.context
    entry = _plan(lab, before, mode)
    assert entry.planned, entry.notes
    if before.result.status is not Status.EXPOSED or before.result.role is Role.STANDBY:
        assert entry.commands == entry.rollback == entry.save == ()
        return
    if entry.mode is not mode:  # tune fell back: the very lines the disable round trip sends
        assert entry.commands == _plan(lab, before, Mode.DISABLE).commands
        return
    software = config_software(before.config or "")
    assert software is not None
    pattern = FACTS[software.train].error_pattern
    _send(lab, name, entry.commands, pattern)
    fixed = _collect(lab, name)[context].result
    want = Status.TUNED if mode is Mode.TUNE else Status.COMPLIANT
    # fixed, and (nothing saved here) `unsaved`: the saved configuration still has it
    assert (fixed.running_status, fixed.status) == (want, Status.UNSAVED), fixed
    _send(lab, name, entry.rollback, pattern)
    restored = _collect(lab, name)[context].result
    assert restored.status is Status.EXPOSED
    assert _keys(restored.findings) == _keys(before.result.findings)


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
@pytest.mark.parametrize("name", DEVICES)
def test_commands_fix_and_rollback_restores_on_the_device(lab: Any, name: str, mode: Mode) -> None:
    collected = _collect(lab, name)
    assert all(c.result.status is not Status.ERROR for c in collected.values()), collected
    for before in collected.values():
        _round_trip(lab, before, mode)


def test_the_standby_gets_no_commands(lab: Any) -> None:
    collected = _collect(lab, "lab-asa-standby")[None]
    assert collected.result.role is Role.STANDBY and collected.result.status is Status.EXPOSED
    entry = _plan(lab, collected, Mode.DISABLE)
    assert entry.commands == () and any("change the active unit" in n for n in entry.notes)


def test_tune_mode_ends_tuned_on_asa_and_disabled_elsewhere(lab: Any) -> None:
    modes = {}
    for name in ("lab-asa84", "lab-asa98-iface", "lab-pix70", "lab-fwsm31", "lab-pix63"):
        modes[name] = _plan(lab, _collect(lab, name)[None], Mode.TUNE).mode
    mail = _plan(lab, _collect(lab, "lab-asa-multi")["mail"], Mode.TUNE)
    assert mail.mode is Mode.TUNE and mail.commands[0] == "changeto context mail"
    assert modes == {
        "lab-asa84": Mode.TUNE,
        "lab-asa98-iface": Mode.TUNE,
        "lab-pix70": Mode.DISABLE,
        "lab-fwsm31": Mode.DISABLE,
        "lab-pix63": Mode.DISABLE,
    }


def test_nothing_was_saved(lab: Any) -> None:
    """Runs last in this module: no plan line sent above may have saved a configuration."""
    status = lab.status()
    assert set(status) == set(DEVICES)
    assert all(device["saves"] == 0 for device in status.values()), status
