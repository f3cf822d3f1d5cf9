"""Commands a real unit has that pixfix never sends, answered as the unit would, so that an
engineer (or another tool) trying the lab by hand is not told `Invalid input`: `show clock`,
`show mode`, `dir`, `more system:running-config`, and the defaults `show running-config all`
adds.

The defaults of ESMTP inspection are those Cisco's ASA configuration guide lists for the
`_default_esmtp_map` ("Defaults for ESMTP inspection"): the banner masked, TLS not allowed, and
the listed length checks. Not captured from a unit: pixfix never reads `all`.
"""

from __future__ import annotations

import time

from pixfix.lab import render
from pixfix.lab.session import NL, CliSession

DEFAULT_ESMTP_MAP = (
    "policy-map type inspect esmtp _default_esmtp_map",
    " description Default ESMTP policy-map",
    " parameters",
    "  mask-banner",
    "  no mail-relay",
    "  no special-character",
    "  no allow-tls",
    " match cmd line length gt 512",
    "  drop-connection log",
    " match cmd RCPT count gt 100",
    "  drop-connection log",
    " match body line length gt 998",
    "  log",
    " match header line length gt 998",
    "  drop-connection log",
    " match sender-address length gt 320",
    "  drop-connection log",
    " match MIME filename length gt 255",
    "  drop-connection log",
    " match ehlo-reply-parameter others",
    "  mask",
)


def running_all(session: CliSession) -> str:
    """`show running-config all`: the configuration with the default inspect map, before the
    first `policy-map`, as the unit prints them."""
    lines = render.config_text(session.device, session.state.context, startup=False).split(NL)
    at = next((i for i, line in enumerate(lines) if line.startswith("policy-map")), len(lines))
    return NL.join([*lines[:at], *DEFAULT_ESMTP_MAP, *lines[at:]])


def show_clock(session: CliSession, _args: list[str]) -> None:
    """`show clock`: `14:31:38.571 UTC Thu Mar 5 2015`."""
    now = time.time()
    moment = time.gmtime(now)
    millis = int(now % 1 * 1000)
    session.emit(time.strftime(f"%H:%M:%S.{millis:03d} UTC %a %b {moment.tm_mday} %Y", moment))


def show_mode(session: CliSession, _args: list[str]) -> None:
    """`show mode`: the security context mode of the unit."""
    multi = session.device.multi_context
    session.emit(f"Security context mode: {'multiple' if multi else 'single'}")


def show_dir(session: CliSession, _args: list[str]) -> None:
    """`dir` (of disk0:): the boot image and the private folder."""
    image = render.image_name(session.device)
    lines = [
        "Directory of disk0:/",
        "",
        f"  101  -rwx  112345678    00:00:00 Jan 01 2018  {image}",
        "  102  drwx       4096    00:00:00 Jan 01 2018  .private",
        "",
        "8571076608 bytes total (8388222976 bytes free)",
    ]
    session.emit(NL.join(lines))


def more_running(session: CliSession, _args: list[str]) -> None:
    """`more system:running-config`: the running configuration, as the unit stores it."""
    session.emit(render.config_text(session.device, session.state.context, startup=False))
