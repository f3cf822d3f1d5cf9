"""Classify PIX, ASA and FWSM software from `show version` text or a configuration's version line.

Our own regular expressions, not a TextFSM template: ntc-templates' `cisco_asa_show_version`
raises a State Error on PIX 6 output, and the first line alone names platform and version:

    Cisco PIX Firewall Version 6.3(5)
    Cisco PIX Security Appliance Software Version 7.2(4)
    Cisco Adaptive Security Appliance Software Version 9.12(4)10 <context>
    FWSM Firewall Version 3.1(1) <context>
    PIX Version 6.3(5)               (first line of a saved configuration)

Version tokens are `major.minor(maint)build`; interim releases write `8.4(7.30)`, whose interim
number takes the build position of the tuple.
"""

from __future__ import annotations

import logging
import re

from pixfix.errors import ParseError
from pixfix.model import ContextMode, Platform, Software, VersionTuple

logger = logging.getLogger(__name__)

_VERSION = (
    r"(?P<version>(?P<major>\d+)\.(?P<minor>\d+)"
    r"\((?P<maint>\d+)(?:\.(?P<interim>\d+))?\)(?P<build>\d+)?)"
)
_MODE = r"(?:[ \t]+<(?P<mode>context|system)>)?"

_SHOW_VERSION_RE = re.compile(
    r"^[ \t]*(?:Cisco[ \t]+)?(?P<product>PIX Firewall|PIX Security Appliance Software"
    r"|Adaptive Security Appliance Software|FWSM Firewall|Firewall Services Module Software)"
    rf"[ \t]+Version[ \t]+{_VERSION}{_MODE}",
    re.MULTILINE,
)
# Starts with a literal newline (search "\n" + text): the regex engine then jumps from line to
# line instead of testing `^` at every character of a 2,000-line configuration.
CONFIG_VERSION_RE = re.compile(
    rf"\n[ \t\u00a0]*(?P<product>PIX|ASA|FWSM) Version {_VERSION}{_MODE}[ \t]*(?=\n|$)",
)
_HARDWARE_RE = re.compile(r"Hardware:[ \t]+(?P<hardware>\S[^\n]*?)[ \t]*(?=\n|$)")

_PRODUCTS = {
    "PIX Firewall": Platform.PIX,
    "PIX Security Appliance Software": Platform.PIX,
    "Adaptive Security Appliance Software": Platform.ASA,
    "FWSM Firewall": Platform.FWSM,
    "Firewall Services Module Software": Platform.FWSM,
    "PIX": Platform.PIX,
    "ASA": Platform.ASA,
    "FWSM": Platform.FWSM,
}


def version_tuple(match: re.Match[str]) -> VersionTuple:
    """(major, minor, maint, build) from a version match; build is 0 when absent."""
    build = match.group("build") or match.group("interim") or "0"
    return (int(match["major"]), int(match["minor"]), int(match["maint"]), int(build))


def software_from_match(match: re.Match[str], hardware: str | None) -> Software:
    """A `Software` record from a `_SHOW_VERSION_RE` or `CONFIG_VERSION_RE` match."""
    mode = match.group("mode")
    return Software(
        platform=_PRODUCTS[match["product"]],
        version=match["version"],
        version_tuple=version_tuple(match),
        mode=ContextMode(mode) if mode else ContextMode.SINGLE,
        hardware=hardware,
    )


def hardware_of(text: str) -> str | None:
    """The `Hardware:` line of `show version` (ASA config headers: `: Hardware:`)."""
    for match in _HARDWARE_RE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not text[line_start : match.start()].strip(" \t:!"):
            return match["hardware"]
    return None


def parse_show_version(text: str) -> Software:
    """Platform, version, context mode and hardware from `show version` output.

    >>> parse_show_version("Cisco PIX Firewall Version 6.3(5)\\nHardware:   PIX-501, 16 MB RAM")
    ... # doctest: +NORMALIZE_WHITESPACE
    Software(platform=<Platform.PIX: 'pix'>, version='6.3(5)', version_tuple=(6, 3, 5, 0),
             mode=<ContextMode.SINGLE: 'single'>, hardware='PIX-501, 16 MB RAM')
    """
    match = _SHOW_VERSION_RE.search(text)
    if match is None:
        raise ParseError("no PIX, ASA or FWSM version line in the show version output")
    software = software_from_match(match, hardware_of(text))
    logger.debug("show version: %s %s", software.platform.value, software.version)
    return software
