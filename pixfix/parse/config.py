"""Configuration text -> typed facts about SMTP inspection (`parse_config`), one pure function.

What counts as a whole configuration (anything else raises `ParseError` with a one-line reason):

1. The capture is not empty once cleaned (`pixfix.parse.normalize.clean_capture`).
2. It has exactly one `PIX|ASA|FWSM Version x.y(z)` line at column 0. None: not a configuration
   (a prompt, an error page, a `show version`). Two: two configurations pasted together.
3. A `Cryptochecksum:` or `: end` line follows the version line. Every whole capture we have
   seen, PIX 4.2 to ASA 9.12, has at least one of them: Oxidized strips `: end` but keeps the
   checksum, some captures stop right after the checksum, some end with `: end` and no checksum.
   A capture without either stopped early (pager quit, paste cut, session dropped), and the
   part we did not get may hold the policy-maps or the `service-policy` that binds them. This is
   why a partial ASA capture that ends after its interfaces is an error and not compliant: ASA
   configurations without any policy-map exist (PIX 7.2 with no `service-policy` is valid), so
   the absence of a policy section proves nothing; only the end marker does. Not confirmed for
   PIX 4.0-4.1: if their `write terminal` prints neither line, they are reported as errors.
4. PIX 4.2-6.3 and FWSM 1-2 list every fixup, on or off (`no fixup protocol smtp 25` is
   stored): a configuration of those trains without a single fixup line is not whole either.

Only the lines between the version line and the end marker are read, so session text before
(Oxidized's `! ` show-version preamble) or after (a second command's output) cannot count.

Known limits: lines lost in the middle of a capture that still ends with its end marker cannot
be seen, and a long remark wrapped at the terminal width (`terminal width 80`) leaves its tail
at column 0, where it could in theory read as a command.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from pixfix.errors import CutOffError, ParseError
from pixfix.model import Software, Train
from pixfix.parse.normalize import clean_capture, prepare_capture
from pixfix.parse.sections import (
    CLASS_MAP,
    ESMTP_MAP,
    FIXUP,
    MAILHOST,
    POLICY_MAP,
    SERVICE_POLICY,
    Records,
    template_records,
)
from pixfix.parse.structure import restructure
from pixfix.parse.version import (
    CONFIG_VERSION_RE,
    hardware_of,
    parse_show_version,
    software_from_match,
)
from pixfix.platforms import FACTS

__all__ = [
    "ClassMapFact",
    "EsmtpMapFact",
    "FixupFact",
    "InspectFact",
    "MailhostFact",
    "ParsedConfig",
    "ServicePolicyFact",
    "clean_capture",
    "config_records",
    "config_software",
    "parse_config",
    "parse_show_version",
]

logger = logging.getLogger(__name__)

_END_RE = re.compile(r"\n[ \t\u00a0]*(?:Cryptochecksum:|: end[ \t]*(?:\n|$))")
# Port literals the ASA prints instead of numbers in `match port` (Cisco's literal table).
_PORT_NAMES = {
    "echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "ftp-data": 20, "ftp": 21, "ssh": 22,
    "telnet": 23, "smtp": 25, "time": 37, "nameserver": 42, "whois": 43, "tacacs": 49,
    "domain": 53, "bootps": 67, "bootpc": 68, "tftp": 69, "gopher": 70, "finger": 79, "www": 80,
    "http": 80, "hostname": 101, "pop2": 109, "pop3": 110, "sunrpc": 111, "ident": 113,
    "nntp": 119, "ntp": 123, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139,
    "imap4": 143, "snmp": 161, "snmptrap": 162, "xdmcp": 177, "bgp": 179, "irc": 194,
    "ldap": 389, "https": 443, "isakmp": 500, "exec": 512, "biff": 512, "login": 513, "who": 513,
    "rsh": 514, "cmd": 514, "syslog": 514, "lpd": 515, "talk": 517, "rip": 520, "uucp": 540,
    "klogin": 543, "kshell": 544, "rtsp": 554, "ldaps": 636, "kerberos": 750,
    "lotusnotes": 1352, "citrix-ica": 1494, "sqlnet": 1521, "radius": 1645, "radius-acct": 1646,
    "h323": 1720, "pptp": 1723, "nfs": 2049, "ctiqbe": 2748, "cifs": 3020, "sip": 5060,
    "aol": 5190, "pcanywhere-data": 5631, "pcanywhere-status": 5632,
}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class FixupFact:
    """`[no] fixup protocol smtp N[-M]`; `enabled` is False for a stored `no` line."""

    line: str
    ports: tuple[int, ...]
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MailhostFact:
    """`[no] mailhost ...` (PIX 4.0-4.1), arguments kept verbatim."""

    line: str
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassMapFact:
    """A layer 3/4 class-map: ports of its `match port` lines, or default inspection traffic."""

    name: str
    matches: tuple[str, ...]
    ports: tuple[int, ...]
    default_inspection: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectFact:
    """`inspect esmtp|smtp [MAP]` under `policy-map POLICY` / ` class CLASS`."""

    line: str
    protocol: str
    map_name: str | None
    policy: str
    class_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicePolicyFact:
    """`service-policy POLICY global|interface IF`; scope is `global` or `interface IF`."""

    line: str
    policy: str
    scope: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EsmtpMapFact:
    """`policy-map type inspect esmtp NAME` and the lines under its ` parameters`."""

    name: str
    parameters: tuple[str, ...]

    @property
    def masks_banner(self) -> bool:
        """A `mask-banner` line masks; `no mask-banner` or no line at all does not."""
        return "mask-banner" in self.parameters

    @property
    def allows_tls(self) -> bool:
        """`allow-tls` (optionally `allow-tls action log`) lets STARTTLS through."""
        return any(p == "allow-tls" or p.startswith("allow-tls ") for p in self.parameters)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedConfig:
    """Everything about SMTP inspection that one whole configuration says."""

    software: Software
    fixups: tuple[FixupFact, ...] = ()
    other_fixup_lines: int = 0
    mailhosts: tuple[MailhostFact, ...] = ()
    class_maps: tuple[ClassMapFact, ...] = ()  # only those an SMTP inspection uses
    inspects: tuple[InspectFact, ...] = ()
    service_policies: tuple[ServicePolicyFact, ...] = ()
    esmtp_maps: tuple[EsmtpMapFact, ...] = ()
    cut_off: str | None = None  # where a text without its end marker stops (cut_ok only)
    whole: str | None = None  # the rule that made the text whole (None when cut off)

    @property
    def train(self) -> Train:
        return self.software.train

    def class_map(self, name: str) -> ClassMapFact | None:
        return next((c for c in self.class_maps if c.name == name), None)

    def esmtp_map(self, name: str) -> EsmtpMapFact | None:
        return next((m for m in self.esmtp_maps if m.name == name), None)

    def bindings(self, policy: str) -> tuple[ServicePolicyFact, ...]:
        return tuple(s for s in self.service_policies if s.policy == policy)


def _port(token: str) -> int:
    """A port number or ASA port literal (`smtp` -> 25)."""
    number = int(token) if token.isdigit() else _PORT_NAMES.get(token)
    if number is None or not 0 < number < 65536:
        raise ParseError(f"unknown port {token!r}")
    return number


def _port_range(low: str, high: str) -> tuple[int, ...]:
    first = _port(low)
    last = _port(high) if high else first
    if last < first:
        raise ParseError(f"port range {low}-{high} runs backwards")
    return tuple(range(first, last + 1))


def _fixups(rows: Records) -> tuple[tuple[FixupFact, ...], int]:
    facts: list[FixupFact] = []
    for row in rows:
        if row["PROTOCOL"] != "smtp":
            continue
        ports = _port_range(row["PORT_LOW"], row["PORT_HIGH"])
        span = row["PORT_LOW"] + (f"-{row['PORT_HIGH']}" if row["PORT_HIGH"] else "")
        negated = row["NEGATED"] == "no"
        line = f"{'no ' if negated else ''}fixup protocol smtp {span}"
        facts.append(FixupFact(line=line, ports=ports, enabled=not negated))
    return tuple(facts), len(rows) - len(facts)


def _mailhosts(rows: Records) -> tuple[MailhostFact, ...]:
    return tuple(
        MailhostFact(
            line=f"{'no ' if row['NEGATED'] else ''}mailhost {row['ARGS']}",
            enabled=not row["NEGATED"],
        )
        for row in rows
    )


def _class_maps(rows: Records, wanted: set[str]) -> tuple[ClassMapFact, ...]:
    """Facts of the class-maps an SMTP inspection uses; other classes (QoS, other protocols)
    are not read further, so a port literal we do not know there cannot fail the audit."""
    names = [name for name in dict.fromkeys(row["CLASS_MAP"] for row in rows) if name in wanted]
    facts = []
    for name in names:
        mine = [row for row in rows if row["CLASS_MAP"] == name]
        ports: list[int] = []
        for row in mine:
            if row["OPERATOR"]:
                if row["MATCH"] != "port" or (row["OPERATOR"] == "eq") == bool(row["PORT_HIGH"]):
                    raise ParseError(f"class-map {name}: unrecognised match line")
                ports.extend(_port_range(row["PORT_LOW"], row["PORT_HIGH"]))
        matches = tuple(" ".join(v for v in list(row.values())[1:] if v) for row in mine)
        default = any(row["MATCH"] == "default-inspection-traffic" for row in mine)
        facts.append(
            ClassMapFact(name=name, matches=matches, ports=tuple(ports), default_inspection=default)
        )
    return tuple(facts)


def _inspects(rows: Records) -> tuple[InspectFact, ...]:
    return tuple(
        InspectFact(
            line=f"inspect {row['PROTOCOL']}" + (f" {row['MAP']}" if row["MAP"] else ""),
            protocol=row["PROTOCOL"],
            map_name=row["MAP"] or None,
            policy=row["POLICY"],
            class_name=row["CLASS"],
        )
        for row in rows
    )


def _service_policies(rows: Records) -> tuple[ServicePolicyFact, ...]:
    facts = []
    for row in rows:
        if (row["SCOPE"] == "interface") != bool(row["INTERFACE"]):
            raise ParseError(f"unrecognised service-policy line for {row['POLICY']}")
        scope = f"interface {row['INTERFACE']}" if row["INTERFACE"] else "global"
        line = f"service-policy {row['POLICY']} {scope}"
        facts.append(ServicePolicyFact(line=line, policy=row["POLICY"], scope=scope))
    return tuple(facts)


def _esmtp_maps(rows: Records) -> tuple[EsmtpMapFact, ...]:
    names = list(dict.fromkeys(row["MAP"] for row in rows))
    return tuple(
        EsmtpMapFact(
            name=name,
            parameters=tuple(r["PARAMETER"] for r in rows if r["MAP"] == name and r["PARAMETER"]),
        )
        for name in names
    )


# Why a text without an end marker may still be whole. No backup tool's own format is enough
# on its own: Oxidized keeps `Cryptochecksum:` (it drops every `: ...` line, `: end` too), and
# RANCID keeps `: end` (it drops `Cryptochecksum:`, and saves nothing without `: end`), so both
# are whole by a marker (docs/device-behaviour.md); a file that lost both (a sanitiser, or a
# copy cut short) cannot be told apart by its header, and a cut copy read as whole could read
# better than the firewall is. So such a text is whole only when the user vouches for it
# (`--assume-whole`).
ASSUMED_WHOLE = "assumed whole (--assume-whole)"


def _whole_body(
    text: str, *, cut_ok: bool = False, assume_whole: bool = False
) -> tuple[Software, str, str | None, str | None]:
    """The version line's software, the text up to the end marker (rules 1-3 above), where a
    text without one stops (with `cut_ok`), and the rule that made the text whole.

    `text` is a prepared capture with a newline in front (see `CONFIG_VERSION_RE`).
    """
    if not text.strip():
        raise ParseError("empty capture: no configuration text")
    versions = list(CONFIG_VERSION_RE.finditer(text))
    if not versions:
        raise ParseError("no PIX, ASA or FWSM 'Version' line: not a recognisable configuration")
    if len(versions) > 1:
        raise ParseError(f"{len(versions)} version lines: more than one configuration in one file")
    software = software_from_match(versions[0], hardware_of(text))
    end = _END_RE.search(text, versions[0].end())
    if end is not None:
        return software, text[versions[0].end() : end.start()], None, "end marker"
    if assume_whole:
        return software, text[versions[0].end() :], None, ASSUMED_WHOLE
    if not cut_ok:
        raise CutOffError(
            f"{software.platform.value.upper()} {software.version} configuration is cut off: "
            "no 'Cryptochecksum:' or ': end' line after it"
        )
    body = text[versions[0].end() :]
    lines = [line for line in text.split("\n") if line.strip()]
    where = f"the text ends after line {len(lines)} ({lines[-1].strip()[:60]!r})"
    return software, body, where, None


def config_software(text: str) -> Software | None:
    """The software named by a capture's configuration version line, if it has exactly one."""
    prepared = "\n" + prepare_capture(text)
    versions = list(CONFIG_VERSION_RE.finditer(prepared))
    if len(versions) != 1:
        return None
    return software_from_match(versions[0], hardware_of(prepared))


def _software_and_records(
    text: str, *, cut_ok: bool = False, assume_whole: bool = False
) -> tuple[Software, dict[str, Records], str | None, str | None]:
    prepared = "\n" + prepare_capture(text)
    software, body, cut, rule = _whole_body(prepared, cut_ok=cut_ok, assume_whole=assume_whole)
    return software, template_records(restructure(body)), cut, rule


def config_records(text: str) -> dict[str, Records]:
    """Each template's raw records for one whole configuration (what the fixtures pin down)."""
    return _software_and_records(text)[1]


def parse_config(text: str, *, cut_ok: bool = False, assume_whole: bool = False) -> ParsedConfig:
    """Typed SMTP-inspection facts from a raw capture of one whole configuration.

    Raises `ParseError` (one-line reason) when the text is not one whole configuration or a
    template meets a line it must understand but cannot; `CutOffError` when it has no end
    marker, unless `cut_ok` (then `cut_off` says where the text stops).
    """
    software, records, cut, rule = _software_and_records(
        text, cut_ok=cut_ok, assume_whole=assume_whole
    )
    fixups, other_fixups = _fixups(records.get(FIXUP, []))
    if FACTS[software.train].has_fixups and not fixups and not other_fixups and cut is None:
        raise ParseError(
            f"no fixup lines in a {software.platform.value.upper()} {software.version} "
            "configuration, which always lists them: not a whole configuration"
        )
    inspects = _inspects(records.get(POLICY_MAP, []))
    parsed = ParsedConfig(
        software=software,
        fixups=fixups,
        other_fixup_lines=other_fixups,
        mailhosts=_mailhosts(records.get(MAILHOST, [])),
        class_maps=_class_maps(records.get(CLASS_MAP, []), {i.class_name for i in inspects}),
        inspects=inspects,
        service_policies=_service_policies(records.get(SERVICE_POLICY, [])),
        esmtp_maps=_esmtp_maps(records.get(ESMTP_MAP, [])),
        cut_off=cut,
        whole=rule,
    )
    logger.debug("parsed %s %s", software.platform.value, software.version)
    return parsed
