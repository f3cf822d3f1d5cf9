"""What a remediation template is given: the lines to change, from the audit's findings, and
every name in them that came from a configuration (checked by the guard before rendering)."""

from __future__ import annotations

from pixfix.model import DeviceResult, FindingKind
from pixfix.parse.config import ParsedConfig
from pixfix.plan.model import Mode
from pixfix.plan.render import FixupTarget, InspectTarget, MailhostTarget, TemplateVars

TUNE_MAP = "PIXFIX-ESMTP"
"""Name of the ESMTP inspect map tune mode defines (and its rollback removes)."""


def template_vars(result: DeviceResult, parsed: ParsedConfig, mode: Mode) -> TemplateVars:
    """Targets from the findings: every active one to disable, the exposing ones to tune."""
    chosen = [f for f in result.findings if mode is Mode.DISABLE or f.exposing]
    inspects = {
        (f.line, f.policy, f.class_name): InspectTarget(
            line=f.line,
            policy=f.policy or "",
            class_name=f.class_name or "",
            protocol=f.line.split()[1],
            map_name=f.map_name,
        )
        for f in chosen
        if f.kind is FindingKind.INSPECT
    }
    return TemplateVars(
        context=result.context,
        fixups=tuple(
            FixupTarget(line=f.line, ports=f.line.rsplit(maxsplit=1)[-1])
            for f in chosen
            if f.kind is FindingKind.FIXUP
        ),
        mailhosts=tuple(
            MailhostTarget(line=f.line, args=f.line.split(maxsplit=1)[1])
            for f in chosen
            if f.kind is FindingKind.MAILHOST
        ),
        inspects=tuple(inspects.values()),
        tune_map=TUNE_MAP,
        software=parsed.software.version,
    )


def named_values(values: TemplateVars) -> list[tuple[str, str]]:
    """Every name that reaches a template from an inventory or a configuration."""
    named = [("context", values.context)] if values.context is not None else []
    for inspect in values.inspects:
        named += [("policy-map", inspect.policy), ("class", inspect.class_name)]
        named += [("inspect map", inspect.map_name)] if inspect.map_name else []
    named += [("mailhost", host.args) for host in values.mailhosts]
    return named
