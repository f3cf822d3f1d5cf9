"""Facts -> findings -> status, for one configuration or a set of saved configuration files.

Status rules (per device, or per context of a multiple-context device):

- `error`: the text is not one whole configuration (see `pixfix.parse.config`), or it is the system
  execution space of a multiple-context device (no policies live there: audit each context).
- `exposed`: any active SMTP inspection that breaks ESMTP: an enabled `fixup protocol smtp`
  port, a `mailhost` line, or an `inspect esmtp|smtp` bound by a `service-policy` (global or
  interface) whose map masks the banner or does not allow TLS: no map (the built-in
  `_default_esmtp_map` masks the banner and has no `allow-tls`), a map with `mask-banner`, a map
  without `allow-tls`, or a map name the configuration does not define (unknown map).
- `tuned`: there is active ESMTP inspection, and every bound inspection uses a defined map with
  `allow-tls` and without `mask-banner`.
- `compliant`: no active SMTP inspection at all.

An inspect line only counts when its policy-map is bound; the policy name is never assumed
(PIX 7.0 calls it `asa_global_fw_policy`). An inspect bound in several places gives one finding
per binding, each with its scope. Stored `no fixup` lines and unbound inspects are kept as
`ignored` findings so a report can show them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from pixfix.errors import CutOffError, ParseError
from pixfix.model import (
    Collected,
    ConfigVerdict,
    ContextMode,
    DeviceResult,
    Finding,
    FindingKind,
    Status,
)
from pixfix.parse.config import (
    EsmtpMapFact,
    InspectFact,
    ParsedConfig,
    config_software,
    parse_config,
)
from pixfix.store.saved import read_configs

logger = logging.getLogger(__name__)

DEFAULT_ESMTP_MAP = "_default_esmtp_map"
DEFAULT_INSPECTION_CLASS = "inspection_default"
_SMTP_PORT = 25


def _fixup_findings(parsed: ParsedConfig) -> Iterator[Finding]:
    for fixup in parsed.fixups:
        yield Finding(
            line=fixup.line,
            kind=FindingKind.FIXUP,
            ports=fixup.ports,
            scope="global",
            active=fixup.enabled,
            exposing=fixup.enabled,
            reason="the SMTP fixup (Mailguard) is on: only RFC 821 commands pass"
            if fixup.enabled
            else "stored 'no' line: the fixup is off",
        )


def _mailhost_findings(parsed: ParsedConfig) -> Iterator[Finding]:
    for host in parsed.mailhosts:
        yield Finding(
            line=host.line,
            kind=FindingKind.MAILHOST,
            ports=(_SMTP_PORT,),
            scope="global",
            active=host.enabled,
            exposing=host.enabled,
            reason="mailhost turns Mailguard on (PIX 4.0-4.1)"
            if host.enabled
            else "stored 'no' line: mailhost is off",
        )


def _map_problem(inspect: InspectFact, esmtp_map: EsmtpMapFact | None) -> str | None:
    """Why this inspection breaks ESMTP, or None when its map is tuned."""
    if inspect.map_name is None and inspect.protocol == "smtp":
        return "SMTP inspection with its defaults (Mailguard) masks the banner and blocks ESMTP"
    if inspect.map_name is None or (esmtp_map is None and inspect.map_name == DEFAULT_ESMTP_MAP):
        return f"no map: {DEFAULT_ESMTP_MAP} masks the banner and does not allow TLS"
    if esmtp_map is None:
        return f"unknown map {inspect.map_name}: not defined in this configuration"
    problems = []
    if esmtp_map.masks_banner:
        problems.append("masks the banner (mask-banner)")
    if not esmtp_map.allows_tls:
        problems.append("does not allow TLS (no allow-tls)")
    return f"map {esmtp_map.name} " + " and ".join(problems) if problems else None


def _inspect_ports(parsed: ParsedConfig, inspect: InspectFact) -> tuple[int, ...]:
    """Ports of the inspected class, for the report and the plan.

    `match port` lines give their ports; default-inspection-traffic gives 25, ESMTP's default
    port, and so does a class named `inspection_default` whose class-map the text lacks (the
    factory class; trimmed samples omit it). Empty means every port: the class matches by
    access-list, `match any`, or is `class-default`.
    """
    class_map = parsed.class_map(inspect.class_name)
    if class_map is None:
        return (_SMTP_PORT,) if inspect.class_name == DEFAULT_INSPECTION_CLASS else ()
    if class_map.default_inspection:
        return tuple(sorted({*class_map.ports, _SMTP_PORT}))
    return class_map.ports


def _inspect_findings(parsed: ParsedConfig) -> Iterator[Finding]:
    for inspect in parsed.inspects:
        problem = _map_problem(inspect, parsed.esmtp_map(inspect.map_name or ""))
        unbound = Finding(
            line=inspect.line,
            kind=FindingKind.INSPECT,
            ports=_inspect_ports(parsed, inspect),
            policy=inspect.policy,
            class_name=inspect.class_name,
            map_name=inspect.map_name,
            active=False,
            exposing=False,
            reason=f"policy-map {inspect.policy} is not bound by any service-policy",
        )
        bindings = parsed.bindings(inspect.policy)
        if not bindings:
            yield unbound
        for binding in bindings:
            yield replace(
                unbound,
                scope=binding.scope,
                active=True,
                exposing=problem is not None,
                reason=problem or f"map {inspect.map_name} allows TLS and shows the banner",
            )


def _status_of(findings: Sequence[Finding]) -> tuple[Status, str]:
    exposing = [f for f in findings if f.exposing]
    if exposing:
        return Status.EXPOSED, f"{exposing[0].line}: {exposing[0].reason}"
    if findings:
        return Status.TUNED, "every bound ESMTP inspection allows TLS and shows the banner"
    return Status.COMPLIANT, "no active SMTP inspection"


def verdict_from_parsed(parsed: ParsedConfig) -> ConfigVerdict:
    """The audit verdict of parsed facts (status rules in the module docstring)."""
    if parsed.software.mode is ContextMode.SYSTEM:
        return ConfigVerdict(
            software=parsed.software,
            status=Status.ERROR,
            reason="system execution space holds no policies: audit each context's configuration",
        )
    every = [*_fixup_findings(parsed), *_mailhost_findings(parsed), *_inspect_findings(parsed)]
    active = tuple(f for f in every if f.active)
    status, reason = _status_of(active)
    return ConfigVerdict(
        software=parsed.software,
        status=status,
        findings=active,
        ignored=tuple(f for f in every if not f.active),
        reason=reason,
        whole=parsed.whole,
    )


def audit_config(text: str, *, assume_whole: bool = False) -> ConfigVerdict:
    """Audit one raw configuration capture; text that cannot be recognised gives status error.
    `assume_whole`: the user vouches that a text without an end marker is whole."""
    try:
        parsed = parse_config(text, assume_whole=assume_whole)
    except CutOffError as exc:
        return _cut_off_verdict(text, str(exc))
    except ParseError as exc:
        logger.debug("parse error: %s", exc)
        return ConfigVerdict(software=config_software(text), status=Status.ERROR, reason=str(exc))
    return verdict_from_parsed(parsed)


def _cut_off_verdict(text: str, reason: str) -> ConfigVerdict:
    """A text cut off before its end marker: `exposed` when what it holds already proves it
    (an enabled fixup or mailhost; an inspect that is bound and exposing whatever comes later),
    else `error`. Never `compliant` or `tuned`: what is missing could change either."""
    error = ConfigVerdict(software=config_software(text), status=Status.ERROR, reason=reason)
    try:
        parsed = parse_config(text, cut_ok=True)
    except ParseError:
        return error
    verdict = verdict_from_parsed(parsed)
    maps = {m.name for m in parsed.esmtp_maps}
    proof = tuple(
        f for f in verdict.findings if f.exposing and (f.map_name is None or f.map_name in maps)
    )
    if verdict.status is not Status.EXPOSED or not proof:
        return error
    return replace(verdict, findings=proof, cut_off=f"cut off: {parsed.cut_off}")


def collect_offline(paths: Sequence[Path], *, assume_whole: bool = False) -> list[Collected]:
    """Saved configurations audited, each kept with its text (as `collect_host` returns them).

    Files, or folders searched recursively (hidden files skipped); the device name is the file
    name without its extension; a file that cannot be read or decoded is that device's error.
    In order of name, then context.
    """
    collected = []
    for saved in read_configs(paths):
        if saved.text is None:
            error = DeviceResult(
                name=saved.name, context=saved.context, status=Status.ERROR, error=saved.error
            )
            collected.append(Collected(result=error, config=None))
        else:
            got = collect_text(saved.name, saved.context, saved.text, assume_whole=assume_whole)
            collected.append(replace(got, read_at=saved.mtime))
    return collected


def collect_text(
    name: str, context: str | None, text: str, *, assume_whole: bool = False
) -> Collected:
    """One configuration text audited, kept with its text."""
    verdict = audit_config(text, assume_whole=assume_whole)
    result = DeviceResult.from_verdict(name, verdict, context=context)
    return Collected(result=result, config=text)


def audit_offline(paths: Sequence[Path], *, assume_whole: bool = False) -> list[DeviceResult]:
    """Audit saved configurations (see `collect_offline`), sorted by name, then context."""
    return [c.result for c in audit_offline_collected(paths, assume_whole=assume_whole)]


def audit_offline_collected(
    paths: Sequence[Path], *, assume_whole: bool = False
) -> list[Collected]:
    """`audit_offline`, each entry kept with its text and its file's time."""
    collected = collect_offline(paths, assume_whole=assume_whole)
    return sorted(collected, key=lambda c: (c.result.name, c.result.context or "",
                                            c.result.status.value))  # fmt: skip
