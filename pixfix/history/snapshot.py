"""What the history keeps of one device (or context) in one audit: a `Snapshot` (pure).

A snapshot is the audit's verdict with what a reader of the history needs later: the verdict of
each side (running and saved), the active SMTP inspection lines, the software, the failover role,
the configuration's fingerprint (`pixfix.parse.normalize.config_fingerprint`: a change to the
configuration, not to its timestamps), the error, and the inventory groups the device was in.
Its JSON body is what the database stores, once per distinct snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from pixfix.model import Collected, DeviceResult, Finding, Status, device_label
from pixfix.parse.normalize import config_fingerprint

FIXED = frozenset({Status.COMPLIANT, Status.TUNED})
Key = tuple[str, str | None]  # (name, context)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """One device's (or context's) state in one audit."""

    name: str
    context: str | None = None
    status: Status
    running: Status  # the running configuration's own verdict
    saved: Status | None = None  # the saved configuration's, where it was read
    lines: tuple[str, ...] = ()  # active SMTP inspection lines of the running configuration
    saved_lines: tuple[str, ...] = ()
    platform: str | None = None
    software: str | None = None
    role: str | None = None
    fingerprint: str | None = None
    error: str | None = None
    groups: tuple[str, ...] = ()
    seen: float | None = None  # when the text was read, where not at the audit's time (files)

    @property
    def key(self) -> Key:
        return (self.name, self.context)

    @property
    def label(self) -> str:
        return device_label(self.name, self.context)

    def exposed_sides(self) -> set[str]:
        """`running` and/or `saved`: the sides whose verdict is exposed."""
        sides = {"running"} if self.running is Status.EXPOSED else set()
        return sides | ({"saved"} if self.saved is Status.EXPOSED else set())

    def fixed_sides(self) -> set[str]:
        """`running` and/or `saved`: the sides whose verdict is compliant or tuned."""
        sides = {"running"} if self.running in FIXED else set()
        return sides | ({"saved"} if self.saved in FIXED else set())

    def lines_of(self, sides: set[str]) -> tuple[str, ...]:
        """The exposing lines of the sides named (running first)."""
        lines = self.lines if "running" in sides else ()
        extra = tuple(line for line in self.saved_lines if line not in lines)
        return lines + (extra if "saved" in sides else ())

    def body(self) -> str:
        """The JSON stored for this snapshot (without name, context and `seen`)."""
        data = {
            "status": self.status.value,
            "running": self.running.value,
            "saved": None if self.saved is None else self.saved.value,
            "lines": list(self.lines),
            "saved_lines": list(self.saved_lines),
            "platform": self.platform,
            "software": self.software,
            "role": self.role,
            "fingerprint": self.fingerprint,
            "error": self.error,
            "groups": list(self.groups),
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


def digest(body: str) -> bytes:
    return hashlib.sha256(body.encode("utf-8")).digest()


def from_body(name: str, context: str | None, body: str, seen: float | None) -> Snapshot:
    """A snapshot read back from its stored body (the inverse of `Snapshot.body`)."""
    data = json.loads(body)
    saved = data["saved"]
    return Snapshot(
        name=name,
        context=context,
        status=Status(data["status"]),
        running=Status(data["running"]),
        saved=None if saved is None else Status(saved),
        lines=tuple(data["lines"]),
        saved_lines=tuple(data["saved_lines"]),
        platform=data["platform"],
        software=data["software"],
        role=data["role"],
        fingerprint=data["fingerprint"],
        error=data["error"],
        groups=tuple(data["groups"]),
        seen=seen,
    )


def _exposing(findings: Sequence[Finding]) -> tuple[str, ...]:
    return tuple(finding.line for finding in findings if finding.exposing)


def snapshot_of(
    collected: Collected, *, groups: Sequence[str] = (), seen: float | None = None
) -> Snapshot:
    """The snapshot of one audited device (or context), with its inventory groups."""
    result: DeviceResult = collected.result
    saved = result.saved
    return Snapshot(
        name=result.name,
        context=result.context,
        status=result.status,
        running=result.running_status,
        saved=None if saved is None else saved.status,
        lines=_exposing(result.findings),
        saved_lines=() if saved is None else _exposing(saved.findings),
        platform=None if result.platform is None else result.platform.value,
        software=result.software,
        role=None if result.role is None else result.role.value,
        fingerprint=None if collected.config is None else config_fingerprint(collected.config),
        error=result.error,
        groups=tuple(groups),
        seen=seen,
    )
