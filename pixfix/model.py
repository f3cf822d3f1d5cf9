"""Frozen records and enums shared by every stage: software, findings, verdicts, device results.

The JSON shapes produced by the `to_json()` helpers are a contract with reports and scripts:
a device result is `{"name", "context", "platform", "software", "role", "status", "findings",
"error", "whole"}` (plus `"cut_off": true` and `"note"` for a cut-off text that proves
exposure) and a finding is `{"line", "kind", "ports", "policy", "class", "map", "scope"}`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

JsonDict = dict[str, Any]


class Platform(Enum):
    """The product family named on the version line: `PIX`, `ASA` or `FWSM Version`."""

    PIX = "pix"
    ASA = "asa"
    FWSM = "fwsm"


class ContextMode(Enum):
    """What the ` <context>` / ` <system>` suffix of a version line says about the device."""

    SINGLE = "single"
    CONTEXT = "context"
    SYSTEM = "system"


class Train(Enum):
    """Software trains that differ in how SMTP inspection appears in the configuration."""

    PIX4_MAILHOST = "pix4_mailhost"  # PIX 4.0-4.1: `mailhost` lines
    PIX_FIXUP = "pix_fixup"  # PIX 4.2-6.3: `fixup protocol smtp N`
    MPF = "mpf"  # PIX 7+, ASA: policy-map / class / `inspect esmtp`
    FWSM_FIXUP = "fwsm_fixup"  # FWSM 1.x-2.x: `fixup protocol smtp N`
    FWSM_MPF = "fwsm_mpf"  # FWSM 3.x+: policy-map / class / `inspect smtp`


class Status(Enum):
    """Audit outcome of one device (or context); `error` is never shown as compliant."""

    EXPOSED = "exposed"
    # running is compliant or tuned, the saved configuration is exposed: the next reload
    # brings Mailguard back (counts as exposed everywhere)
    UNSAVED = "unsaved"
    TUNED = "tuned"
    COMPLIANT = "compliant"
    ERROR = "error"


class Role(Enum):
    """A unit's failover role, as `show failover` says it (`standalone` when failover is off)."""

    STANDALONE = "standalone"
    ACTIVE = "active"
    STANDBY = "standby"


class Transport(Enum):
    """How pixfix reaches the CLI: PIX 5.2-6.3 speak only SSHv1, which paramiko lacks."""

    SSH = "ssh"
    TELNET = "telnet"


class FindingKind(Enum):
    """Which configuration construct turns SMTP inspection on."""

    FIXUP = "fixup"
    MAILHOST = "mailhost"
    INSPECT = "inspect"


VersionTuple = tuple[int, int, int, int]


def train_of(platform: Platform, version: VersionTuple) -> Train:
    """The software train of a platform and version (major, minor, maint, build).

    PIX releases before 4.0 are put with 4.0-4.1 (the mailhost era) so that nothing older than
    the fixup command is ever audited as if fixups were listed.
    """
    major_minor = version[:2]
    if platform is Platform.ASA:
        return Train.MPF
    if platform is Platform.FWSM:
        return Train.FWSM_FIXUP if major_minor < (3, 0) else Train.FWSM_MPF
    if major_minor < (4, 2):
        return Train.PIX4_MAILHOST
    return Train.PIX_FIXUP if major_minor < (7, 0) else Train.MPF


@dataclass(frozen=True, slots=True, kw_only=True)
class Software:
    """What a version line says: platform, version (`6.3(5)`, `9.8(4)32`), mode, hardware."""

    platform: Platform
    version: str
    version_tuple: VersionTuple
    mode: ContextMode = ContextMode.SINGLE
    hardware: str | None = None

    @property
    def train(self) -> Train:
        return train_of(self.platform, self.version_tuple)

    @property
    def multi_context(self) -> bool:
        return self.mode is not ContextMode.SINGLE

    def to_json(self) -> JsonDict:
        return {
            "platform": self.platform.value,
            "version": self.version,
            "version_tuple": list(self.version_tuple),
            "mode": self.mode.value,
            "train": self.train.value,
            "hardware": self.hardware,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One configuration line that inspects SMTP, or would if it were active.

    `line` is the configuration line without its indentation and trailing spaces (devices differ
    on trailing spaces after `inspect esmtp`). `ports` is empty when the class matches traffic by
    access-list or `match any` (every port). `scope` is `global` or `interface <ifname>`, or None
    for an inactive line. `exposing` says whether this line alone breaks ESMTP (Mailguard, or a
    map that masks the banner or does not allow TLS); `reason` says why, in one sentence.
    """

    line: str
    kind: FindingKind
    ports: tuple[int, ...]
    policy: str | None = None
    class_name: str | None = None
    map_name: str | None = None
    scope: str | None = None
    active: bool = True
    exposing: bool = True
    reason: str = ""

    def to_json(self) -> JsonDict:
        return {
            "line": self.line,
            "kind": self.kind.value,
            "ports": list(self.ports),
            "policy": self.policy,
            "class": self.class_name,
            "map": self.map_name,
            "scope": self.scope,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigVerdict:
    """The audit of one configuration text: status, active findings, and why.

    `ignored` holds lines that look like SMTP inspection but do not act (a stored
    `no fixup protocol smtp 25`, an `inspect esmtp` in a policy-map no service-policy binds),
    so reports can show them without counting them.
    """

    software: Software | None
    status: Status
    findings: tuple[Finding, ...] = ()
    ignored: tuple[Finding, ...] = ()
    reason: str = ""
    cut_off: str | None = None  # a text without its end marker that still proves exposure
    whole: str | None = None  # the rule that made the text whole: "end marker", ...

    @property
    def error(self) -> str | None:
        return self.reason if self.status is Status.ERROR else None

    def to_json(self) -> JsonDict:
        return {
            "software": None if self.software is None else self.software.to_json(),
            "status": self.status.value,
            "findings": [f.to_json() for f in self.findings],
            "ignored": [f.to_json() for f in self.ignored],
            "reason": self.reason,
        }


def device_label(name: str, context: str | None) -> str:
    """`name/context` as shown on screen (a context is `name/context`; in JSON `context` is its
    own key, in file names `name@context`: see `pixfix.store.plan_dir.file_stem`)."""
    return name if context is None else f"{name}/{context}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedSide:
    """The audit of a device's saved (startup) configuration, beside its running one."""

    status: Status
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    running: Status  # the running side's own verdict

    def to_json(self) -> JsonDict:
        return {
            "status": self.status.value,
            "findings": [f.to_json() for f in self.findings],
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceResult:
    """The audit outcome of one device, or one context of a multiple-context device."""

    name: str
    context: str | None = None
    platform: Platform | None = None
    software: str | None = None
    role: Role | None = None
    status: Status
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    cut_off: str | None = None  # where the text ends, when it was cut off (exposed only)
    whole: str | None = None  # which rule decided that the text read was whole
    saved: SavedSide | None = None  # the saved configuration's audit (live audits only)

    @property
    def running_status(self) -> Status:
        """The verdict of the running configuration alone (what the mail flow sees now)."""
        if self.status is Status.UNSAVED and self.saved is not None:
            return self.saved.running
        return self.status

    def with_saved(self, verdict: ConfigVerdict) -> DeviceResult:
        """This (running) result held against the saved configuration's audit: a fixed running
        configuration over an exposed saved one is `unsaved`; a saved one that could not be
        read leaves nothing fine (`error`); an exposed running one stays exposed."""
        saved = SavedSide(
            status=verdict.status,
            findings=verdict.findings,
            error=verdict.error,
            running=self.status,
        )
        fixed = self.status in (Status.COMPLIANT, Status.TUNED)
        if fixed and verdict.status is Status.ERROR:
            reason = f"the saved configuration could not be read: {verdict.error}"
            return replace(self, status=Status.ERROR, error=reason, saved=saved)
        if fixed and verdict.status is Status.EXPOSED:
            return replace(self, status=Status.UNSAVED, saved=saved)
        return replace(self, saved=saved)

    @classmethod
    def from_verdict(
        cls,
        name: str,
        verdict: ConfigVerdict,
        *,
        context: str | None = None,
        role: Role | None = None,
    ) -> DeviceResult:
        software = verdict.software
        return cls(
            name=name,
            context=context,
            platform=None if software is None else software.platform,
            software=None if software is None else software.version,
            role=role,
            status=verdict.status,
            findings=verdict.findings,
            error=verdict.error,
            cut_off=verdict.cut_off,
            whole=verdict.whole,
        )

    @property
    def label(self) -> str:
        return device_label(self.name, self.context)

    def to_json(self) -> JsonDict:
        return (
            {
                "name": self.name,
                "context": self.context,
                "platform": None if self.platform is None else self.platform.value,
                "software": self.software,
                "role": None if self.role is None else self.role.value,
                "status": self.status.value,
                "findings": [f.to_json() for f in self.findings],
                "error": self.error,
                "whole": self.whole,
            }
            | ({"cut_off": True, "note": self.cut_off} if self.cut_off else {})
            | ({} if self.saved is None else {"saved": self.saved.to_json()})
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Collected:
    """The audit of one device or context, with the configuration text it was computed from."""

    result: DeviceResult
    config: str | None  # None when nothing was read (connection or login failed)
    startup: str | None = None  # the saved configuration, where it was read (live audits)
    read_at: float | None = None  # a saved file's modification time (offline audits)
