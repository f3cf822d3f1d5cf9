"""The lab's failover pair as data: what replicates to the mate, and what a failover or a reload
does to the roles and to the addresses (no network: the server's part is in tests/lab)."""

from __future__ import annotations

from pixfix.lab.device import SINGLE, Device
from pixfix.lab.fleet import FleetOptions, build_devices, default_specs


def _pair() -> tuple[Device, Device]:
    specs, folder = default_specs()
    devices = {d.name: d for d in build_devices(specs, folder, FleetOptions())}
    return devices["lab-asa-pair"], devices["lab-asa-pair-stby"]


def _inspects(unit: Device) -> bool:
    return any(line.strip() == "inspect esmtp" for line in unit.contexts[SINGLE].running)


def _changed(unit: Device) -> None:
    assert _inspects(unit)
    ctx = unit.contexts[SINGLE]
    ctx.running = tuple(line for line in ctx.running if line.strip() != "inspect esmtp")


def test_the_default_pair_is_two_units_one_train_each_on_its_own_address() -> None:
    primary, secondary = _pair()
    assert (primary.failover, primary.unit, secondary.failover, secondary.unit) == (
        "active", "Primary", "standby", "Secondary",
    )  # fmt: skip
    assert secondary.port == primary.port + 1
    assert primary.answering() is primary and secondary.answering() is secondary
    assert "failover lan unit secondary" in secondary.contexts[SINGLE].startup


def test_a_change_on_the_active_unit_reaches_the_mate_but_not_the_other_way() -> None:
    primary, secondary = _pair()
    _changed(primary)
    primary.replicate(SINGLE)
    assert not _inspects(secondary)
    # each unit keeps its own `failover lan unit` line
    assert "failover lan unit secondary" in secondary.contexts[SINGLE].running
    secondary.contexts[SINGLE].running += ("logging buffered debugging",)
    secondary.replicate(SINGLE)  # a standby's change is never sent back
    assert "logging buffered debugging" not in primary.contexts[SINGLE].running


def test_write_memory_on_the_active_unit_saves_both() -> None:
    primary, secondary = _pair()
    _changed(primary)
    primary.replicate(SINGLE)
    primary.save(SINGLE)
    assert not primary.any_modified() and not secondary.any_modified()
    assert (primary.counters.saves, secondary.counters.saves) == (1, 1)


def test_a_failover_swaps_the_roles_and_moves_the_addresses() -> None:
    primary, secondary = _pair()
    moved: list[bool] = []
    primary.hooks.addresses_moved = lambda: moved.append(True)
    primary.fail_over()
    assert (primary.failover, secondary.failover, moved) == ("standby", "active", [True])
    # the pair's address (the primary's port) now reaches the secondary, and the other way
    assert primary.answering() is secondary and secondary.answering() is primary
    assert primary.active_unit() is secondary and secondary.active_unit() is secondary


def test_a_reloaded_unit_rejoins_as_standby_with_the_active_units_running_config() -> None:
    primary, secondary = _pair()
    primary.fail_over()
    _changed(secondary)
    secondary.replicate(SINGLE)
    primary.contexts[SINGLE].running = primary.contexts[SINGLE].startup  # lost in the reload
    primary.boot()
    assert primary.failover == "standby"
    assert not _inspects(primary)
    assert "failover lan unit primary" in primary.contexts[SINGLE].running
