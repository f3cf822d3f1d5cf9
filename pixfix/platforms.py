"""Per software train, as data: how to read the configuration and what the device calls things.

Kept as tables rather than `if platform == ...` chains (scrapli keeps its privilege levels the
same way). The read path uses the first columns; `pixfix plan` uses the remediation columns
(templates per mode, how to enter config mode and save, whether contexts exist, the inspect
keyword) and `tune_capable` (which releases have `allow-tls`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from pixfix.model import Platform, Software, Train, VersionTuple


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainFacts:
    leave_config: str  # `exit` on PIX <= 6.3 / FWSM 2 (no `end` there), else `end`
    error_pattern: str
    config_command: str = "show running-config"  # lists the running configuration
    startup_command: str = "show startup-config"  # lists the saved configuration
    has_failover_show: bool = True
    enter_config: str = "configure terminal"
    save_command: str = "write memory"  # inside the changed context; never `write memory all`
    reload_command: str = "reload"  # prompts (save? proceed?) are answered by apply
    has_contexts: bool = False  # FWSM 2.x and the MPF trains have multiple-context mode
    inspect_protocol: str | None = None  # MPF keyword: `esmtp` (ASA, PIX 7+), `smtp` (FWSM 3)
    has_fixups: bool = False  # `fixup protocol ...` lines, always listed in the configuration
    has_mailhost: bool = False  # PIX 4.0-4.1: `mailhost` lines
    # The remediation's body lines (regular expressions, whole line after its indent):
    # what a plan may ever send to this train (`pixfix.plan.guard`).
    grammar: tuple[str, ...] = ()
    # mode value ("disable", "tune") -> remediation template; its rollback twin adds `_rollback`
    templates: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


PAGER_OFF = "terminal pager 0"  # exec mode, not saved; per context on a multiple-context unit
MORE = "<--- More --->"  # the pager's prompt on every train
_PROMPT_NAME = r"[A-Za-z0-9][\w.-]*"


def prompt_regex(hostname: str | None = None) -> str:
    r"""A CLI prompt, as a regular expression: `fw>`, `fw#`, `fw/mail#`, `fw/pri/act(config)#`.

    The hostname, then `/` parts (the context, or the failover unit and state that `prompt
    hostname priority state` adds), then the mode in parentheses, then `>` or `#`. Three groups:
    the name with its `/` parts, the mode, the sign. With `hostname`, only that hostname matches
    (its `/` parts may change while a session runs: `changeto`, a failover).

    >>> import re
    >>> re.fullmatch(prompt_regex(), "fw/pri/act(config)#").groups()
    ('fw/pri/act', '(config)', '#')
    """
    host = _PROMPT_NAME if hostname is None else re.escape(hostname)
    return rf"({host}(?:/[\w.-]+)*)(\([\w.-]+\))?([>#])"


# How each train refuses a line (tests/fixtures/real/refused_commands): `ERROR: % Invalid input
# detected at '^' marker.`, `ERROR: <reason>`, `... failed; <reason>` (with or without a
# `WARNING:` prefix), `Command authorization failed` (AAA command authorization: the wording of
# Ansible's cisco.asa terminal plugin; no device capture found), PIX's `Type help or '?'`.
_REFUSALS = r"ERROR:|% Invalid|%Error|Error:|Command authorization failed|\bfailed;"
_PIX_ERRORS = r"Type help or '\?'|Error|" + _REFUSALS
_ASA_ERRORS = _REFUSALS

# Text a unit prints whether or not it was asked (tests/fixtures/real/unsolicited): failover
# replication, warnings about the mate, failover state changes, messages to all terminals,
# syslog on a terminal with `terminal monitor`. It may arrive at any time, also right after a
# prompt; it is logged, and never read as a command's answer.
UNSOLICITED_TEXT = (
    r"(?:Beginning configuration replication\b|End Configuration Replication\b"
    r"|(?:[A-Z][a-z]{2} +\d+ \d{4} [\d:]+: )?%(?:ASA|PIX|FWSM)-\d-\d+:"
    r"|Switching to (?:Active|Standby)\b|\*{3}|\*+ ?WARNING\b|Mate version \S+ is not identical"
    r"|Configuration Replication is NOT performed)"
)
UNSOLICITED = re.compile(r"^\s*" + UNSOLICITED_TEXT)
# The questions a unit may ask, and pixfix's answers: never save before a dead-man reload
# (single mode `System config has been modified. Save? [Y]es/[N]o:`, multiple context
# `admin config has been modified. Save? [Y]es/[N]o/[S]ave all/[C]ancel:`), confirm the reload,
# and answer the anonymous error reporting question of ASA 8.4+ with `A` (ask later), never `Y`.
SAVE_NO = (r"Save\? *\[Y\]es/\[N\]o(?:/\[S\]ave all/\[C\]ancel)?: *$", "N")
CONFIRM = (r"\[confirm\] *$", "")
# What answering the reporting question may add to the running configuration, depending on the
# answer: `call-home reporting anonymous` (Y, captured), `no call-home reporting anonymous` and
# `call-home reporting anonymous prompt 2` (both seen in public configurations; which answer
# writes which is unconfirmed). Never drift, never an unplanned change: named in the record.
REPORTING_LINE = re.compile(r"^\s*(?:no )?call-home reporting anonymous\b")
REPORTING = (r"\[Y\]es, \[N\]o, \[A\]sk later:? *$", "A")


def may_ask_reporting(software: Software) -> bool:
    """Whether the unit may ask the anonymous error reporting question at `configure terminal`:
    every ASA. The captures are of 8.4 and later, but which release asked first is
    unconfirmed (docs/device-behaviour.md), and a question left unanswered would take the next
    line typed as its answer; waiting costs an older ASA one quiet bound. PIX and FWSM, which
    have no Smart Call Home, never ask."""
    return software.platform is Platform.ASA


def _templates(**by_mode: str) -> Mapping[str, str]:
    return MappingProxyType(by_mode)


NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}"  # a policy, class, map or context name
_NAME = NAME_PATTERN
_PORT = r"[1-9][0-9]{0,4}"
_MAILHOST_LINE = r"(?:no )?mailhost [A-Za-z0-9_.:/()\-]+(?: [A-Za-z0-9_.:/()\-]+){0,7}"
_FIXUP_LINE = rf"(?:no )?fixup protocol smtp (?P<low>{_PORT})(?:-(?P<high>{_PORT}))?"
_POLICY_LINES = (rf"policy-map (?!type$){_NAME}", rf"class {_NAME}")
_TUNE_MAP_LINES = (
    rf"(?:no )?policy-map type inspect esmtp {_NAME}",
    r"parameters",
    r"no mask-banner",
    r"allow-tls",
    r"match ehlo-reply-parameter others",
    r"mask",
)

_FIXUP = TrainFacts(
    leave_config="exit", error_pattern=_PIX_ERRORS, has_fixups=True, grammar=(_FIXUP_LINE,)
)
_MPF = TrainFacts(leave_config="end", error_pattern=_ASA_ERRORS, has_contexts=True)

FACTS: dict[Train, TrainFacts] = {
    Train.PIX4_MAILHOST: replace(
        _FIXUP,
        has_fixups=False,
        has_mailhost=True,
        grammar=(_MAILHOST_LINE,),
        config_command="write terminal",
        startup_command="show configure",
        templates=_templates(disable="pix4_mailhost_disable.j2"),
    ),
    # PIX up to 6.3 lists its saved configuration with `show configure` (Cisco's PIX command
    # references; `show startup-config` came with 7.0): docs/device-behaviour.md
    Train.PIX_FIXUP: replace(
        _FIXUP,
        startup_command="show configure",
        templates=_templates(disable="pix_fixup_disable.j2"),
    ),
    Train.FWSM_FIXUP: replace(
        _FIXUP, has_contexts=True, templates=_templates(disable="fwsm_fixup_disable.j2")
    ),
    Train.MPF: replace(
        _MPF,
        inspect_protocol="esmtp",
        grammar=(*_POLICY_LINES, rf"(?:no )?inspect esmtp(?: {_NAME})?", *_TUNE_MAP_LINES),
        templates=_templates(disable="mpf_disable.j2", tune="mpf_tune.j2"),
    ),
    Train.FWSM_MPF: replace(
        _MPF,
        inspect_protocol="smtp",
        grammar=(*_POLICY_LINES, rf"(?:no )?inspect smtp(?: {_NAME})?"),
        templates=_templates(disable="fwsm_mpf_disable.j2"),
    ),
}

# Releases whose ESMTP inspect maps have `allow-tls` (tune mode): ASA 7.2(3) and later in the
# 7.2 train, 8.0(3) and later in the 8.0 train, every later release.
# Half-open ranges [first, end); PIX 7.x/8.x and FWSM are not listed, so they fall back.
TUNE_RELEASES: dict[Platform, tuple[tuple[VersionTuple, VersionTuple], ...]] = {
    Platform.ASA: (((7, 2, 3, 0), (8, 0, 0, 0)), ((8, 0, 3, 0), (10**6, 0, 0, 0))),
}


def rollback_template(template: str) -> str:
    """The rollback twin of a remediation template: `mpf_tune.j2` -> `mpf_tune_rollback.j2`."""
    stem, dot, ext = template.rpartition(".")
    return f"{stem}_rollback.{ext}" if dot else f"{template}_rollback"


def tune_capable(software: Software) -> bool:
    """Whether this release can keep ESMTP inspection with `allow-tls` (tune mode)."""
    ranges = TUNE_RELEASES.get(software.platform, ())
    return "tune" in FACTS[software.train].templates and any(
        first <= software.version_tuple < end for first, end in ranges
    )
