"""`pixfix audit --probe`: the probe verdict beside the configuration verdict, and if they agree.

The probe looks at a host's `mx` from outside; the audit reads the firewall's configuration. They
answer the same question ("is SMTP inspection in the mail path?") from two ends, so when they
disagree something is missing from the picture: most often another device in the path (a second
firewall, an upstream ASA, a vendor SMTP proxy named in KB 320027) is inspecting.

The axis compared is whether inspection is present, not how it is configured: a probe can prove
an inspecting device is in the path, while `clean` only means none of its signatures was seen
The rules, per configuration status and probe verdict:

- a probe that could not judge (`unreachable`, `not-smtp`) or a configuration that could not be
  read (`error`): `n/a`, with the reason (the probe's first).
- `compliant`: `clean` agrees; `mailguard` or `inspected` disagrees (another device in the path
  may be inspecting).
- `exposed`: `mailguard` agrees; `inspected` agrees too (inspection seen; the breakage the
  configuration predicts, such as STARTTLS refused, needs a server that offers it). `clean`
  disagrees when the inspection covers the mx port, and agrees when it only covers other ports
  (`fixup protocol smtp 587` does not touch an mx on 25).
- `tuned`: `inspected` agrees; `clean` agrees (a tuned map that masks nothing leaves no trace);
  `mailguard` disagrees (this device keeps EHLO and STARTTLS working, so something else breaks
  them).

The mx port is where the probe connects from outside, and a static port translation may lead it
to an inside port the inspection names differently (the lab's endpoints do exactly that for port
25). So an exposed inspection on other ports never turns a Mailguard sighting into a
disagreement; it only adds a note. An exposed device counts as tuned for the mx when a tuned
inspection covers the mx port and its exposing findings only name other ports.

Multiple-context devices: the mx belongs to the device, so every context entry gets the same
probe result and the same agreement, judged against one context: the context whose findings
cover the mx port (the worst status first, when several do); when none does, the context with the
worst status (exposed, then tuned, then compliant), since a translated port may still lead to it.
A `disagrees` becomes `n/a` when some context could not be audited, since that context may be the
one inspecting.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Protocol

from pixfix.model import DeviceResult, Status
from pixfix.probe.classify import Verdict
from pixfix.probe.smtp import ProbeResult, probe_many
from pixfix.probe.target import Target

logger = logging.getLogger(__name__)

ANOTHER_DEVICE = "another device in the path may be inspecting"
_JUDGED = frozenset({Verdict.CLEAN, Verdict.INSPECTED, Verdict.MAILGUARD})
_WORST_FIRST = (Status.EXPOSED, Status.TUNED, Status.COMPLIANT)


class Agreement(StrEnum):
    """Whether the probe verdict and the configuration verdict tell the same story."""

    AGREES = "agrees"
    DISAGREES = "disagrees"
    NOT_APPLICABLE = "n/a"


class MxEndpoint(Protocol):
    """Where a host's mail server answers from outside (`pixfix.inventory.load.Endpoint` fits)."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


def covers(finding_ports: Sequence[tuple[int, ...]], mx_port: int) -> bool:
    """True when some finding inspects `mx_port`; a finding with no ports matches every port.

    >>> covers([(25, 2525)], 25), covers([(587,)], 25), covers([()], 25)
    (True, False, True)
    """
    return any(not ports or mx_port in ports for ports in finding_ports)


def _ports_text(finding_ports: Sequence[tuple[int, ...]]) -> str:
    if any(not ports for ports in finding_ports):
        return "every port"
    ports = sorted({port for group in finding_ports for port in group})
    return f"port{'s' if len(ports) > 1 else ''} {', '.join(map(str, ports))}"


def agreement(
    result_status: Status,
    finding_ports: Sequence[tuple[int, ...]],
    mx_port: int,
    verdict: Verdict,
) -> tuple[Agreement, str]:
    """Compare one configuration verdict with the probe verdict of its mx (rules: module doc).

    `finding_ports` holds the `ports` of each active finding (empty tuple: every port).

    >>> agreement(Status.COMPLIANT, [], 25, Verdict.MAILGUARD)[0]
    <Agreement.DISAGREES: 'disagrees'>
    """
    if verdict not in _JUDGED:
        return Agreement.NOT_APPLICABLE, f"the probe could not judge the mx ({verdict.value})"
    if result_status is Status.ERROR:
        return Agreement.NOT_APPLICABLE, "the configuration could not be audited"
    if result_status is Status.COMPLIANT:
        return _compliant(verdict)
    ports = _ports_text(finding_ports)
    if not covers(finding_ports, mx_port):
        return _elsewhere(result_status, verdict, ports, mx_port)
    if result_status is Status.TUNED:
        return _tuned(verdict)
    return _exposed(verdict, ports)


def _compliant(verdict: Verdict) -> tuple[Agreement, str]:
    if verdict is Verdict.CLEAN:
        return Agreement.AGREES, ""
    seen = "Mailguard" if verdict is Verdict.MAILGUARD else "ESMTP inspection"
    return Agreement.DISAGREES, f"the config is compliant, the probe sees {seen}: {ANOTHER_DEVICE}"


def _tuned(verdict: Verdict) -> tuple[Agreement, str]:
    if verdict is Verdict.INSPECTED:
        return Agreement.AGREES, ""
    if verdict is Verdict.CLEAN:
        return Agreement.AGREES, "a tuned inspection may leave no trace the probe can see"
    return Agreement.DISAGREES, (
        f"the config's inspection keeps EHLO and STARTTLS working, but the probe sees Mailguard: "
        f"{ANOTHER_DEVICE}"
    )


def _exposed(verdict: Verdict, ports: str) -> tuple[Agreement, str]:
    if verdict is Verdict.MAILGUARD:
        return Agreement.AGREES, ""
    if verdict is Verdict.INSPECTED:
        return Agreement.AGREES, (
            "the probe sees inspection but not the breakage the config predicts "
            "(does the server offer STARTTLS?)"
        )
    return Agreement.DISAGREES, (
        f"the config says SMTP inspection on {ports} breaks mail, but the probe sees none: "
        "is the mx behind this device?"
    )


def _elsewhere(status: Status, verdict: Verdict, ports: str, mx_port: int) -> tuple[Agreement, str]:
    """The configuration inspects other ports than the one the probe reached."""
    if verdict is Verdict.CLEAN:
        return Agreement.AGREES, f"the inspection covers only {ports}, not the mx port {mx_port}"
    if status is Status.TUNED and verdict is Verdict.MAILGUARD:
        return _tuned(verdict)
    return Agreement.AGREES, (
        f"the inspection covers {ports}; the mx port {mx_port} is taken to be translated to it"
    )


def _finding_ports(result: DeviceResult) -> list[tuple[int, ...]]:
    return [finding.ports for finding in result.findings]


def status_at_port(result: DeviceResult, mx_port: int) -> Status:
    """The result's status as far as the mx port goes.

    An exposed device whose exposing findings all name other ports, while a tuned inspection
    covers the mx port (`inspect esmtp` with the default map on 587, a tuned map on 25), is tuned
    for the mx.
    """
    if result.running_status is not Status.EXPOSED:
        return result.running_status  # the probe sees the running side (`unsaved` included)
    exposing = [finding.ports for finding in result.findings if finding.exposing]
    if not covers(exposing, mx_port) and covers(_finding_ports(result), mx_port):
        return Status.TUNED
    return Status.EXPOSED


def _judge(result: DeviceResult, mx_port: int, verdict: Verdict) -> tuple[Agreement, str]:
    status = status_at_port(result, mx_port)
    return agreement(status, _finding_ports(result), mx_port, verdict)


def judge_device(
    results: Sequence[DeviceResult], mx_port: int, verdict: Verdict
) -> tuple[Agreement, str]:
    """The agreement for one device: its one result, or all its contexts (rules: module doc).

    A compliant context has no active findings, so it never covers the mx port.
    """
    if len(results) == 1 or verdict not in _JUDGED:
        return _judge(results[0], mx_port, verdict)
    audited = [r for r in results if r.status is not Status.ERROR]
    if not audited:
        return Agreement.NOT_APPLICABLE, "no context could be audited"
    covering = [r for r in audited if covers(_finding_ports(r), mx_port)]
    chosen = min(covering or audited, key=lambda r: _WORST_FIRST.index(status_at_port(r, mx_port)))
    outcome, note = _judge(chosen, mx_port, verdict)
    failed = [r.label for r in results if r.status is Status.ERROR]
    if outcome is Agreement.DISAGREES and failed:
        return Agreement.NOT_APPLICABLE, (
            f"{', '.join(failed)} could not be audited and may be the one inspecting"
        )
    judged = f"judged against {chosen.label}"
    return outcome, f"{judged}; {note}" if note else judged


def probe_entries(
    results: Sequence[DeviceResult],
    mx_by_name: Mapping[str, MxEndpoint],
    probes: Mapping[str, ProbeResult],
) -> dict[str, dict[str, object]]:
    """The `probe` entry for each result whose device has an mx and a probe result, by label."""
    by_name: dict[str, list[DeviceResult]] = {}
    for result in results:
        by_name.setdefault(result.name, []).append(result)
    entries: dict[str, dict[str, object]] = {}
    for name, device in by_name.items():
        mx, probed = mx_by_name.get(name), probes.get(name)
        if mx is None or probed is None:
            continue
        outcome, note = judge_device(device, mx.port, probed.verdict)
        if probed.verdict not in _JUDGED and probed.error:
            note = f"{note}: {probed.error}"
        entry: dict[str, object] = {
            "target": probed.target.address,
            "verdict": probed.verdict.value,
            "signatures": [signature.name.value for signature in probed.signatures],
            "agreement": outcome.value,
            "note": note,
        }
        for result in device:
            entries[result.label] = {"probe": dict(entry)}
    return entries


def probe_extra(
    results: Sequence[DeviceResult],
    mx_by_name: Mapping[str, MxEndpoint],
    *,
    workers: int,
    timeout: float,
) -> dict[str, dict[str, object]]:
    """Probe the mx of every audited device that has one (once per device) and judge agreement.

    Returns `{label: {"probe": {"target", "verdict", "signatures", "agreement", "note"}}}`;
    results without an mx get no entry.
    """
    names = [name for name in dict.fromkeys(r.name for r in results) if name in mx_by_name]
    targets = [
        Target(host=mx_by_name[name].host, port=mx_by_name[name].port, name=name) for name in names
    ]
    logger.debug("probing %d mx endpoint(s) for the audit", len(targets))
    probed = probe_many(targets, workers=workers, timeout=timeout)
    return probe_entries(results, mx_by_name, dict(zip(names, probed, strict=True)))
