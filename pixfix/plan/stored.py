"""A plan as stored in plan.json, read back; and the check that it is the plan pixfix made.

`plan.json` is what approvers sign and what apply sends, so approve and apply both hold every
entry to the plan remade from what the plan directory keeps: the configuration it was made
from (`backups/<stem>.cfg`, held to the entry's fingerprint) and the templates. An entry whose
commands, rollback, save or reload differ from that remade plan was edited by hand (or the
templates changed since: a site that edits templates plans again; it never edits plan.json),
and every line must still pass the train's guard. Anything else is an `InputError` naming the
device and the line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pixfix.audit.verdict import audit_config
from pixfix.errors import InputError
from pixfix.model import DeviceResult, Finding, FindingKind, Platform, Status
from pixfix.parse.config import config_software
from pixfix.parse.normalize import config_fingerprint
from pixfix.plan.entry import DeviceMeta, plan_entry
from pixfix.plan.guard import Section, rejections
from pixfix.plan.model import Mode, PlanEntry, Reload
from pixfix.store.plan_dir import BACKUPS, SAVED_SUFFIX


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise InputError(f"{where}: {key} is missing or not text")
    return value


def optional_text(item: Mapping[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}: {key} is not text")
    return value


def _lines(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise InputError(f"{where}: {key} is not a list of lines")
    return tuple(value)


_E = TypeVar("_E", bound=Enum)


def _enum(kind: type[_E], item: dict[str, Any], key: str, where: str) -> _E:
    try:
        return kind(item.get(key))
    except ValueError:
        raise InputError(f"{where}: unknown {key} {item.get(key)!r}") from None


def _finding(item: Any, where: str) -> Finding:
    if not isinstance(item, dict):
        raise InputError(f"{where}: a finding is not an object")
    ports = item.get("ports", [])
    if not isinstance(ports, list) or not all(isinstance(p, int) for p in ports):
        raise InputError(f"{where}: a finding's ports are not numbers")
    try:
        kind = FindingKind(item.get("kind"))
    except ValueError:
        raise InputError(f"{where}: unknown finding kind {item.get('kind')!r}") from None
    return Finding(
        line=_text(item, "line", where),
        kind=kind,
        ports=tuple(ports),
        policy=optional_text(item, "policy", where),
        class_name=optional_text(item, "class", where),
        map_name=optional_text(item, "map", where),
        scope=optional_text(item, "scope", where),
    )


def entry_from_json(item: Any, where: str) -> PlanEntry:
    """A plan entry back from its plan.json form (`PlanEntry.to_json`)."""
    if not isinstance(item, dict):
        raise InputError(f"{where}: a device entry is not an object")
    findings = item.get("findings", [])
    if not isinstance(findings, list):
        raise InputError(f"{where}: findings is not a list")
    mode = _enum(Mode, item, "mode", where)
    status = _enum(Status, item, "status", where)
    platform = None if item.get("platform") is None else _enum(Platform, item, "platform", where)
    return PlanEntry(
        name=_text(item, "name", where),
        context=optional_text(item, "context", where),
        platform=platform,
        software=optional_text(item, "software", where),
        status=status,
        findings=tuple(_finding(f, where) for f in findings),
        commands=_lines(item, "commands", where),
        save=_lines(item, "save", where),
        reload=_lines(item, "reload", where),
        rollback=_lines(item, "rollback", where),
        fingerprint=optional_text(item, "fingerprint", where),
        notes=_lines(item, "notes", where),
        mode=mode,
        planned=bool(item.get("planned", False)),
    )


def entries_of(document: Any, where: str) -> tuple[PlanEntry, ...]:
    """Every device entry of a plan.json document (structure checked; InputError if not)."""
    devices = document.get("devices") if isinstance(document, dict) else None
    if not isinstance(devices, list):
        raise InputError(f"{where}: no devices list")
    return tuple(entry_from_json(item, where) for item in devices)


_SECTIONS = (
    ("commands", Section.CHANGE),
    ("rollback", Section.CHANGE),
    ("save", Section.SAVE),
    ("reload", Section.RELOAD),
)


def not_as_made(
    plan_dir: Path, document: dict[str, Any], entries: Sequence[PlanEntry]
) -> str | None:
    """Why these entries are not the plan pixfix made (None: they are)."""
    sending = [e for e in entries if any(_lines_of(e, name) for name, _ in _SECTIONS)]
    if not sending:
        return None
    mode = _enum(Mode, document, "mode", str(plan_dir / "plan.json"))
    reload = _enum(Reload, document, "reload", str(plan_dir / "plan.json"))
    for entry in sending:
        problem = _entry_problem(plan_dir, entry, mode, reload)
        if problem is not None:
            return f"{plan_dir / 'plan.json'}: {entry.label}: {problem}; make the plan again"
    return None


def _lines_of(entry: PlanEntry, name: str) -> tuple[str, ...]:
    lines: tuple[str, ...] = getattr(entry, name)
    return lines


def _entry_problem(plan_dir: Path, entry: PlanEntry, mode: Mode, reload: Reload) -> str | None:
    try:
        config = (plan_dir / BACKUPS / f"{entry.stem}.cfg").read_text(encoding="utf-8")
    except OSError:
        return f"no configuration it was made from ({BACKUPS}/{entry.stem}.cfg)"
    if config_fingerprint(config) != entry.fingerprint:
        return f"its fingerprint is not that of {BACKUPS}/{entry.stem}.cfg"
    software = config_software(config)
    if software is None:
        return f"{BACKUPS}/{entry.stem}.cfg is not a configuration pixfix can read"
    for name, section in _SECTIONS:
        refused = rejections(software.train, section, _lines_of(entry, name), context=entry.context)
        if refused and _lines_of(entry, name):
            return f"{name} rejected by the guard: {refused[0]}"
    saved = _kept(plan_dir, f"{entry.stem}{SAVED_SUFFIX}")
    return _remade_difference(entry, config, saved, mode, reload)


def _kept(plan_dir: Path, name: str) -> str | None:
    try:
        return (plan_dir / BACKUPS / f"{name}.cfg").read_text(encoding="utf-8")
    except OSError:
        return None


def _remade_difference(
    entry: PlanEntry, config: str, saved: str | None, mode: Mode, reload: Reload
) -> str | None:
    result = DeviceResult.from_verdict(entry.name, audit_config(config), context=entry.context)
    if saved is not None and entry.status is Status.UNSAVED:
        result = result.with_saved(audit_config(saved))
    meta = DeviceMeta(transport="ssh")
    remade = plan_entry(result, config, meta, mode=mode, reload=reload, saved=saved)
    for name, _ in _SECTIONS:
        stored, made = _lines_of(entry, name), _lines_of(remade, name)
        if stored != made:
            extra = [line for line in stored if line not in made]
            shown = f"{extra[0]!r} is not in it" if extra else "lines of it are missing"
            return f"{name} differ from the plan made from its configuration: {shown}"
    return None
