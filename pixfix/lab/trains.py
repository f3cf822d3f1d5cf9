"""What each simulated software train looks like from the CLI, as data.

Only what a client can observe is modelled: version banners, error texts, which commands exist,
how paging is controlled and how config mode is left.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Family(enum.Enum):
    """How a train configures SMTP inspection, which decides its CLI grammar."""

    PIX_MAILHOST = "pix-mailhost"  # PIX 4.0-4.1: `mailhost` lines
    PIX_FIXUP = "pix-fixup"  # PIX 4.2-6.3: `fixup protocol smtp N`, no `end`, telnet
    MPF = "mpf"  # PIX 7+/ASA/FWSM 3: policy-map / class / inspect


PIX_ERROR = "Type help or '?' for a list of available commands."
ASA_ERROR = "ERROR: % Invalid input detected at '^' marker."
STANDBY_WARNING = (
    "**** WARNING ****\r\n"
    "\tConfiguration Replication is NOT performed from Standby unit to Active unit.\r\n"
    "\tConfigurations are no longer synchronized."
)

# First words accepted in global configuration mode, per family. Anything else is invalid input.
_COMMON_GLOBAL = frozenset(
    {
        "hostname", "domain-name", "enable", "passwd", "names", "name", "access-list",
        "access-group", "pager", "logging", "mtu", "route", "ssh", "telnet", "http", "snmp-server",
        "aaa", "username", "timeout", "arp", "icmp", "banner", "crypto", "failover", "ntp",
        "dhcpd", "terminal", "nat", "global", "static", "isakmp", "sysopt", "console",
        "object-group", "ip", "floodguard", "no",
    }
)  # fmt: skip
_PIX_GLOBAL = _COMMON_GLOBAL | {
    "nameif",
    "interface",
    "fixup",
    "conduit",
    "outbound",
    "apply",
    "mailhost",
}
_MPF_GLOBAL = _COMMON_GLOBAL | {
    "interface", "policy-map", "class-map", "service-policy", "object", "prompt", "dns",
    "same-security-traffic", "threat-detection", "webvpn", "firewall", "boot", "asdm",
    "context", "admin-context", "config-url", "allocate-interface", "mode", "monitor-interface",
    "flow-export", "user-identity", "call-home", "dynamic-access-policy-record", "group-policy",
    "tunnel-group", "license", "resource", "xlate", "mac-address",
}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Train:
    """One simulated software train."""

    key: str
    product: str  # "PIX", "ASA", "FWSM"
    version: str  # e.g. "6.3(5)"
    family: Family
    show_version_line: str  # first line of `show version`, without the context marker
    config_version_line: str  # first line of the saved configuration
    hardware: str
    has_end: bool
    has_terminal_pager: bool
    error_text: str
    config_command: str  # how the config is listed: `show running-config` or `write terminal`

    @property
    def global_words(self) -> frozenset[str]:
        return _MPF_GLOBAL if self.family is Family.MPF else _PIX_GLOBAL


def _pix(key: str, version: str, family: Family, hardware: str) -> Train:
    return Train(
        key=key,
        product="PIX",
        version=version,
        family=family,
        show_version_line=f"Cisco PIX Firewall Version {version}",
        config_version_line=f"PIX Version {version}",
        hardware=hardware,
        has_end=False,
        has_terminal_pager=False,
        error_text=PIX_ERROR,
        config_command="write terminal" if family is Family.PIX_MAILHOST else "show running-config",
    )


def _mpf(key: str, product: str, version: str, banner: str, hardware: str) -> Train:
    return Train(
        key=key,
        product=product,
        version=version,
        family=Family.MPF,
        show_version_line=f"{banner} Version {version}",
        config_version_line=f"{product} Version {version}",
        hardware=hardware,
        has_end=True,
        has_terminal_pager=True,
        error_text=ASA_ERROR,
        config_command="show running-config",
    )


_ASA = "Cisco Adaptive Security Appliance Software"
_ATOM = "8192 MB RAM, CPU Atom C2000 series 2416 MHz"
TRAINS: dict[str, Train] = {
    t.key: t
    for t in (
        _pix("pix41", "4.1(6)", Family.PIX_MAILHOST, "PIX-Classic, 16 MB RAM, CPU i486 33 MHz"),
        _pix("pix63", "6.3(5)", Family.PIX_FIXUP, "PIX-515E, 64 MB RAM, CPU Pentium II 433 MHz"),
        _mpf("pix70", "PIX", "7.0(4)", "Cisco PIX Security Appliance Software", "PIX-515E"),
        _mpf("asa84", "ASA", "8.4(7)", _ASA, "ASA5510, 1024 MB RAM, CPU Celeron 1600 MHz"),
        _mpf("asa98", "ASA", "9.8(4)", _ASA, f"ASA5516, {_ATOM}"),
        _mpf("asa912", "ASA", "9.12(4)", _ASA, "ASA5525, 8192 MB RAM, CPU Lynnfield 2393 MHz"),
        _mpf("asa914", "ASA", "9.14(4)", _ASA, f"ASA5516, {_ATOM}"),
        _mpf("asa916", "ASA", "9.16(4)", _ASA, "ASA5506, 4096 MB RAM, CPU Atom C2000"),
        _mpf("asa918", "ASA", "9.18(4)", _ASA, f"ASA5508, {_ATOM}"),
        _mpf("fwsm31", "FWSM", "3.1(1)", "FWSM Firewall", "WS-SVC-FWM-1, 1024 MB RAM"),
    )
}  # fmt: skip


def train_for(software: str) -> Train:
    """Find the train for a devices-file `software` value such as `ASA 9.8(4)` or `pix63`."""
    key = software.strip().lower()
    if key in TRAINS:
        return TRAINS[key]
    for train in TRAINS.values():
        if key == f"{train.product} {train.version}".lower():
            return train
    known = ", ".join(f"{t.product} {t.version}" for t in TRAINS.values())
    raise KeyError(f"unknown software {software!r} (known: {known})")
