"""Per software train, as data: how to read the configuration and what the device calls things.

Kept as tables rather than `if platform == ...` chains (scrapli keeps its privilege levels the
same way). Only what the read path needs today; the remediation side adds its own columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pixfix.model import Train


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainFacts:
    config_command: str  # lists the running configuration
    startup_command: str  # lists the saved configuration
    has_failover_show: bool
    leave_config: str
    error_pattern: str


_PIX_ERRORS = r"Type help or '\?'|ERROR:|% Invalid|Error"
_ASA_ERRORS = r"ERROR:|% Invalid|%Error|Error:"

FACTS: dict[Train, TrainFacts] = {
    Train.PIX4_MAILHOST: TrainFacts(
        config_command="write terminal",
        startup_command="show configure",
        has_failover_show=True,
        leave_config="exit",
        error_pattern=_PIX_ERRORS,
    ),
    Train.PIX_FIXUP: TrainFacts(
        config_command="show running-config",
        startup_command="show startup-config",
        has_failover_show=True,
        leave_config="exit",
        error_pattern=_PIX_ERRORS,
    ),
    Train.FWSM_FIXUP: TrainFacts(
        config_command="show running-config",
        startup_command="show startup-config",
        has_failover_show=True,
        leave_config="exit",
        error_pattern=_PIX_ERRORS,
    ),
    Train.MPF: TrainFacts(
        config_command="show running-config",
        startup_command="show startup-config",
        has_failover_show=True,
        leave_config="end",
        error_pattern=_ASA_ERRORS,
    ),
    Train.FWSM_MPF: TrainFacts(
        config_command="show running-config",
        startup_command="show startup-config",
        has_failover_show=True,
        leave_config="end",
        error_pattern=_ASA_ERRORS,
    ),
}

_ROLE = re.compile(r"This host:\s*(?:Primary|Secondary)\s*-\s*(Active|Standby)", re.I)
_CONTEXT_ROW = re.compile(r"^\s*\*?\s*(?!Context\b|Total\b)([A-Za-z0-9][\w.-]*)\s+\S")


def failover_role(text: str) -> str:
    """`standalone`, `active` or `standby` from `show failover`.

    The role is not in `show version`; `show failover` says `This host: Primary - Active` or
    `... - Standby Ready` when failover is on, and `Failover Off` otherwise.
    """
    found = _ROLE.search(text)
    if found:
        return found.group(1).lower()
    return "standalone"


def context_names(text: str) -> list[str]:
    """Context names from `show context` (the admin context is marked with `*`)."""
    return [m.group(1) for line in text.splitlines() if (m := _CONTEXT_ROW.match(line))]
