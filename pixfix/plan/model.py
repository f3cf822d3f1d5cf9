"""The records of `pixfix plan`: modes, the inventory facts a plan needs, one plan entry.

`PlanEntry.to_json()` is the plan.json entry (a contract with apply, reports and scripts):
`{"name", "context", "platform", "software", "status", "findings", "commands", "save",
"reload", "rollback", "fingerprint", "notes", "mode", "planned"}`. `commands` and `rollback`
are the exact lines to send from the privileged prompt (context change if any, config-mode
entry, the changes, leaving config mode); `save` is sent by apply only after verification;
`reload` is empty unless `--reload now` was asked for.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from enum import Enum

from pixfix.model import Finding, JsonDict, Platform, Role, Status, device_label
from pixfix.store.plan_dir import file_stem


class Mode(Enum):
    """`disable`: remove SMTP inspection (the KB 320027 fix). `tune`: keep ESMTP inspection
    with a map that shows the banner and allows TLS (ASA 7.2(3) / 8.0(3) and later)."""

    DISABLE = "disable"
    TUNE = "tune"


class Reload(Enum):
    """`never` (default: inspection changes affect new connections) or `now` (after the save,
    for change boards that ask for the KB's reload)."""

    NEVER = "never"
    NOW = "now"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceMeta:
    """What the inventory says about a device that changes its plan."""

    transport: str  # "ssh" | "telnet" | "offline" (planned from a saved configuration)
    managed_by: str | None = None  # CSM, CDO, FMC...: the manager may overwrite the change
    role: Role | None = None  # None: unknown


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanEntry:
    """The plan for one device, or one context of a multiple-context device."""

    name: str
    context: str | None
    platform: Platform | None
    software: str | None
    status: Status  # the audit's verdict
    findings: tuple[Finding, ...]
    commands: tuple[str, ...] = ()
    save: tuple[str, ...] = ()
    reload: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    fingerprint: str | None
    notes: tuple[str, ...] = ()
    mode: Mode
    planned: bool
    before: str | None = None  # normal configuration text the plan was computed from
    after: str | None = None  # predicted configuration text once `commands` ran

    @property
    def label(self) -> str:
        return device_label(self.name, self.context)

    @property
    def stem(self) -> str:
        """`name@context` made safe as a file name (`diffs/<stem>.diff`, backups)."""
        return file_stem(self.name, self.context)

    def to_json(self) -> JsonDict:
        return {
            "name": self.name,
            "context": self.context,
            "platform": None if self.platform is None else self.platform.value,
            "software": self.software,
            "status": self.status.value,
            "findings": [f.to_json() for f in self.findings],
            "commands": list(self.commands),
            "save": list(self.save),
            "reload": list(self.reload),
            "rollback": list(self.rollback),
            "fingerprint": self.fingerprint,
            "notes": list(self.notes),
            "mode": self.mode.value,
            "planned": self.planned,
        }

    def diff(self) -> str:
        """Unified diff of the configuration before and the predicted one after ('' if none)."""
        if not self.commands or self.before is None or self.after is None:
            return ""
        return _unified_diff(self.before, self.after, self.stem)


_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", re.M)
_CONTEXT = 3


@functools.lru_cache(maxsize=4096)  # keys are texts the plan entries hold anyway
def _unified_diff(before: str, after: str, stem: str) -> str:
    """Unified diff of two configurations, cached (the plan files and reports ask twice).

    A remediation changes a few lines of a config of thousands: difflib only sees the part
    between the common head and tail (plus context), and the hunk line numbers are shifted
    back, which gives the same diff as the whole texts at a fraction of the cost.
    """
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = max(head - _CONTEXT, 0)
    keep = max(tail - _CONTEXT, 0)
    lines = difflib.unified_diff(
        old[start : len(old) - keep],
        new[start : len(new) - keep],
        fromfile=f"{stem} (running)",
        tofile=f"{stem} (predicted)",
        n=_CONTEXT,
    )
    return _HUNK.sub(lambda m: _shift_hunk(m, start), "".join(lines))


def _shift_hunk(match: re.Match[str], offset: int) -> str:
    old_start = int(match.group(1)) + (offset if int(match.group(1)) else 0)
    new_start = int(match.group(3)) + (offset if int(match.group(3)) else 0)
    return f"@@ -{old_start}{match.group(2) or ''} +{new_start}{match.group(4) or ''} @@"
