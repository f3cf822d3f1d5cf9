"""The pure core of `pixfix plan`: one audited device (or context) in, one `PlanEntry` out.

What a device gets:

- `error`: not planned (`planned` false), with the audit's reason.
- `compliant` or `tuned`: no commands, and a note saying so.
- `unsaved` (the running configuration has the fix, the saved one has not): the save alone,
  when nothing but the fix differs; otherwise not planned, the other pending lines shown.
- a standby unit: no commands, and a note to change the active unit (a configured standby
  does not replicate to the active: `Configuration Replication is NOT performed`).
- `exposed`: the commands of its train's template for the mode (`disable`, the KB's fix; or
  `tune`, on ASA 7.2(3) / 8.0(3) and later only: other trains fall back to `disable` and the
  notes say so), the rollback twin, the save (`write memory`, inside the context in
  multiple-context mode, never `write memory all`), and with `--reload now` the reload lines.

Before an entry is returned every line passes the guard (`pixfix.plan.guard`), and the commands are
applied to the configuration the way the device would (`pixfix.plan.predict`): the prediction must
audit compliant (tuned in tune mode), and the rollback applied to it must give back the same
findings. A device failing either check is not planned; the notes say why. A broken template
is an input error (`TemplateError`) and stops the plan.
"""

from __future__ import annotations

import difflib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pixfix.audit.verdict import audit_config, verdict_from_parsed
from pixfix.errors import DeviceError, PlanError
from pixfix.model import DeviceResult, Finding, Role, Status, Train
from pixfix.parse.config import ParsedConfig, config_software, parse_config
from pixfix.parse.normalize import config_fingerprint
from pixfix.plan.guard import Section, rejections, unsafe_values
from pixfix.plan.model import DeviceMeta, Mode, PlanEntry, Reload
from pixfix.plan.predict import normal_config, predict
from pixfix.plan.render import TemplateVars, render_lines
from pixfix.plan.targets import TUNE_MAP, named_values, template_vars
from pixfix.platforms import FACTS, rollback_template, tune_capable

__all__ = ["TUNE_MAP", "DeviceMeta", "Mode", "PlanEntry", "Reload", "plan_entry"]

logger = logging.getLogger(__name__)


def plan_entry(
    result: DeviceResult,
    config: str | None,
    meta: DeviceMeta,
    *,
    mode: Mode,
    reload: Reload,
    templates: Path | None = None,
    saved: str | None = None,
) -> PlanEntry:
    """The plan of one device or context; `templates` is a site's remediation folder; `saved`
    the saved configuration read beside `config` (live audits), for an `unsaved` device."""
    base = _base(result, config, meta, mode)
    settled = _without_changes(base, result, meta)
    if settled is not None:
        return settled
    if result.status is Status.UNSAVED:
        return _save_only(base, saved)
    try:
        return _remediate(base, result, meta, reload=reload, templates=templates)
    except (PlanError, DeviceError) as exc:
        return _not_planned(base, f"not planned: {exc}")


def _without_changes(base: PlanEntry, result: DeviceResult, meta: DeviceMeta) -> PlanEntry | None:
    """The entry of a device that gets no commands, or None when it needs remediation."""
    refusal = _unplannable(base, result)
    if refusal is not None:
        return _not_planned(base, f"not planned: {refusal}")
    assert base.before is not None
    software = config_software(base.before)
    if base.mode is Mode.TUNE and software is not None and not tune_capable(software):
        base = replace(base, mode=Mode.DISABLE)  # the mode this device would get
    if (meta.role or result.role) is Role.STANDBY:
        note = "standby unit: no commands; change the active unit (a standby does not replicate)"
        return _noted(base, note)
    if result.status is Status.COMPLIANT:
        return _noted(base, "already compliant: no active SMTP inspection, nothing to send")
    if result.status is Status.TUNED:
        return _noted(base, "already tuned: ESMTP inspection shows the banner and allows TLS")
    return None


def _save_only(base: PlanEntry, saved: str | None) -> PlanEntry:
    """`unsaved`: the running configuration has the fix and the saved one has not. The plan is
    the save alone when the saved configuration with the SMTP fix is the running one; any other
    difference is someone's pending edits, which a save would make permanent: nothing is
    planned, and the notes show them."""
    software = config_software(base.before or "")
    if saved is None or base.before is None or software is None:
        return _not_planned(base, "not planned: unsaved, and the saved configuration was not kept")
    if not fix_is_all_unsaved(base.before, saved, base.mode):
        return _not_planned(
            base,
            "not planned: unsaved, and the running configuration differs from the saved one by "
            "more than the SMTP fix; save or discard those edits first: "
            + "; ".join(unsaved_lines(saved, base.before)),
        )
    change = [] if base.context is None else [f"changeto context {base.context}"]
    note = (
        "unsaved: the running configuration has the fix, the saved one has not (a reload would "
        "bring SMTP inspection back); nothing else differs: the plan is the save alone"
    )
    return replace(_noted(base, note), save=(*change, FACTS[software.train].save_command))


def fix_is_all_unsaved(running: str, saved: str, mode: Mode) -> bool:
    """Whether the saved configuration with pixfix's fix (in `mode`, else the other mode) is
    exactly the running one: then saving keeps nothing but the fix."""
    verdict = audit_config(saved)
    if verdict.status is not Status.EXPOSED:
        return False
    result = DeviceResult.from_verdict("saved", verdict)
    wanted = config_fingerprint(running)
    for each in dict.fromkeys((mode, Mode.DISABLE, Mode.TUNE)):
        entry = plan_entry(result, saved, _SAVED, mode=each, reload=Reload.NEVER)
        if entry.commands and entry.after and config_fingerprint(entry.after) == wanted:
            return True
    return False


def unsaved_lines(saved: str, running: str, limit: int = 10) -> list[str]:
    """The lines running and saved configurations differ by (`+` running only, `-` saved only)."""
    old, new = normal_config(saved).splitlines(), normal_config(running).splitlines()
    changed = [line.rstrip() for line in difflib.ndiff(old, new) if line[:2] in ("- ", "+ ")]
    return changed[:limit] + ([f"... {len(changed) - limit} more"] if len(changed) > limit else [])


_SAVED = DeviceMeta(transport="ssh")


def _unplannable(base: PlanEntry, result: DeviceResult) -> str | None:
    """Why nothing can be planned from what the audit read (None: it can be)."""
    if result.status is Status.ERROR:
        return f"the audit failed: {result.error or 'the audit did not finish'}"
    if base.before is None:
        return "no configuration text to plan from"
    if result.cut_off:
        return f"the configuration is {result.cut_off}: plan from a whole configuration"
    return None


def _base(result: DeviceResult, config: str | None, meta: DeviceMeta, mode: Mode) -> PlanEntry:
    before = normal_config(config) if config is not None else None
    return PlanEntry(
        name=result.name,
        context=result.context,
        platform=result.platform,
        software=result.software,
        status=result.status,
        findings=result.findings,
        fingerprint=None if config is None else config_fingerprint(config),
        notes=_inventory_notes(meta),
        mode=mode,
        planned=True,
        before=before,
        after=before,
    )


def _inventory_notes(meta: DeviceMeta) -> tuple[str, ...]:
    notes = []
    if meta.managed_by:
        notes.append(
            f"warning: managed by {meta.managed_by}: the manager may overwrite this change; "
            "make it there too"
        )
    if meta.transport == "offline":
        notes.append(
            "planned from a saved configuration: apply re-reads the device and stops if its "
            "configuration differs (fingerprint)"
        )
    return tuple(notes)


def _noted(entry: PlanEntry, *notes: str) -> PlanEntry:
    return replace(entry, notes=(*entry.notes, *notes))


def _not_planned(entry: PlanEntry, note: str) -> PlanEntry:
    logger.info("%s: %s", entry.label, note)
    return replace(_noted(entry, note), planned=False, after=entry.before)


def _remediate(
    base: PlanEntry,
    result: DeviceResult,
    meta: DeviceMeta,
    *,
    reload: Reload,
    templates: Path | None,
) -> PlanEntry:
    before = base.before or ""
    parsed = parse_config(before)
    _check_matches_audit(parsed, result)
    mode, notes = _mode_for(parsed, base.mode)
    values = template_vars(result, parsed, mode)
    bad = unsafe_values(named_values(values))
    if bad:
        return _not_planned(base, "not planned: rejected by the guard: " + "; ".join(bad))
    lines = _render(values, mode, parsed.train, reload=reload, templates=templates)
    problems = _guard(parsed.train, result.context, lines)
    if problems:
        return _not_planned(base, "not planned: rejected by the guard: " + "; ".join(problems))
    after = _verified(
        before,
        lines.commands,
        lines.rollback,
        train=parsed.train,
        mode=mode,
        findings=result.findings,
    )
    notes += _change_notes(result, meta, reload)
    entry = replace(
        base, commands=lines.commands, save=lines.save, rollback=lines.rollback, after=after
    )
    return replace(_noted(entry, *notes), reload=lines.reload, mode=mode)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Lines:
    """The rendered sections of one entry, before the guard has seen them."""

    commands: tuple[str, ...]
    rollback: tuple[str, ...]
    save: tuple[str, ...]
    reload: tuple[str, ...]


def _render(
    values: TemplateVars, mode: Mode, train: Train, *, reload: Reload, templates: Path | None
) -> _Lines:
    """The train's template for the mode and its rollback twin; save and reload from the
    train's facts (never from a template)."""
    facts = FACTS[train]
    template = facts.templates[mode.value]
    context = values.context
    change = [] if context is None else [f"changeto context {context}"]
    system = [] if context is None else ["changeto system"]  # a reload runs from the system
    return _Lines(
        commands=tuple(render_lines(template, values, folder=templates)),
        rollback=tuple(render_lines(rollback_template(template), values, folder=templates)),
        save=(*change, facts.save_command),
        reload=(*system, facts.reload_command) if reload is Reload.NOW else (),
    )


def _guard(train: Train, context: str | None, lines: _Lines) -> list[str]:
    sections = [
        ("commands", Section.CHANGE, lines.commands),
        ("rollback", Section.CHANGE, lines.rollback),
        ("save", Section.SAVE, lines.save),
        ("reload", Section.RELOAD, lines.reload),
    ]
    return [
        f"{what}: {problem}"
        for what, section, section_lines in sections
        if section_lines or section is not Section.RELOAD
        for problem in rejections(train, section, section_lines, context=context)
    ]


def _finding_keys(findings: Iterable[Finding]) -> Counter[tuple[object, ...]]:
    """What `apply(rollback)` must give back: the same lines, ports, policies, classes, maps
    and scopes (order may differ: a re-added inspect line lands at the end of its class)."""
    return Counter(
        (f.line, f.kind, f.ports, f.policy, f.class_name, f.map_name, f.scope) for f in findings
    )


def _check_matches_audit(parsed: ParsedConfig, result: DeviceResult) -> None:
    verdict = verdict_from_parsed(parsed)
    same = _finding_keys(verdict.findings) == _finding_keys(result.findings)
    if verdict.status is not result.status or not same:
        raise PlanError("the configuration text does not give the audited findings")


def _mode_for(parsed: ParsedConfig, mode: Mode) -> tuple[Mode, list[str]]:
    """Tune needs `allow-tls` (ASA 7.2(3) / 8.0(3)+) and a free map name; else disable."""
    if mode is not Mode.TUNE:
        return mode, []
    software = parsed.software
    if not tune_capable(software):
        release = f"{software.platform.value.upper()} {software.version}"
        return Mode.DISABLE, [
            f"tune mode needs ASA 7.2(3) / 8.0(3) or later: {release} is planned in disable "
            "mode (SMTP inspection removed)"
        ]
    if parsed.esmtp_map(TUNE_MAP) is not None:
        return Mode.DISABLE, [
            f"an inspect map named {TUNE_MAP} already exists: planned in disable mode, so "
            "that the rollback cannot remove a map pixfix did not create"
        ]
    return mode, []


def _verified(
    before: str,
    commands: Sequence[str],
    rollback: Sequence[str],
    *,
    train: Train,
    mode: Mode,
    findings: tuple[Finding, ...],
) -> str:
    """The predicted configuration, once it audits as intended and the rollback restores it."""
    after = predict(before, commands, train)
    want = Status.TUNED if mode is Mode.TUNE else Status.COMPLIANT
    got = audit_config(after)
    if got.status is not want:
        raise PlanError(f"the predicted configuration audits {got.status.value}: {got.reason}")
    restored = audit_config(predict(after, rollback, train))
    if _finding_keys(restored.findings) != _finding_keys(findings):
        raise PlanError("the rollback would not give back the findings the audit found")
    return after


def _change_notes(result: DeviceResult, meta: DeviceMeta, reload: Reload) -> list[str]:
    notes = [
        "existing SMTP connections keep the old inspection until they close (no reload is "
        "needed: the change applies to new connections)"
    ]
    if reload is Reload.NOW:
        notes.append(
            "warning: reload requested (--reload now): apply reloads after the save and answers "
            "the device's prompts"
        )
        if result.context is not None:
            notes.append("warning: the reload restarts every context of this device")
        if (meta.role or result.role) is Role.ACTIVE:
            notes.append("warning: reloading an active failover unit fails over")
    return notes
