"""What SMTP inspection a simulated device applies to its mail server (TCP 25), from its live
configuration. The lab's own simple reading, kept apart from pixfix's audit on purpose: the
lab is the reference the audit is tested against, so it must not share the audit's code.
"""

from __future__ import annotations

import re

from pixfix.lab import cfgtree
from pixfix.lab.device import Device
from pixfix.lab.mailguard import SmtpInspection
from pixfix.lab.trains import Family

SMTP_PORT = 25
_FIXUP = re.compile(r"^fixup protocol smtp (\d+)(?:-(\d+))?\s*$")
_MATCH_PORT = re.compile(r"^match port tcp (?:eq (\S+)|range (\d+) (\d+))")


def inspection_for(device: Device) -> SmtpInspection:
    """The inspection the device's mail endpoint sees right now."""
    lines = device.contexts[device.mx_context].running
    family = device.train.family
    if family is Family.PIX_MAILHOST:
        return (
            SmtpInspection.mailhost()
            if cfgtree.top_blocks(lines, "mailhost")
            else SmtpInspection.none()
        )
    if family is Family.PIX_FIXUP:
        return SmtpInspection.pix_fixup() if _fixup_covers(lines) else SmtpInspection.none()
    return _mpf_inspection(lines)


def _fixup_covers(lines: cfgtree.Lines) -> bool:
    for line in cfgtree.top_blocks(lines, "fixup"):
        found = _FIXUP.match(line.strip())
        if found:
            low = int(found.group(1))
            high = int(found.group(2) or low)
            if low <= SMTP_PORT <= high:
                return True
    return False


def _mpf_inspection(lines: cfgtree.Lines) -> SmtpInspection:
    for policy in _bound_policies(lines):
        for class_line in cfgtree.children(lines, [policy]):
            if not class_line.startswith("class ") or not _class_covers(
                lines, class_line.split()[1]
            ):
                continue
            for child in cfgtree.children(lines, [policy, class_line]):
                words = child.split()
                if words[:1] == ["inspect"] and words[1:2] in (["esmtp"], ["smtp"]):
                    return _map_inspection(lines, words[2] if len(words) > 2 else None)
    return SmtpInspection.none()


def _bound_policies(lines: cfgtree.Lines) -> list[str]:
    names = {line.split()[1] for line in cfgtree.top_blocks(lines, "service-policy")}
    headers = cfgtree.top_blocks(lines, "policy-map")
    return [h.strip() for h in headers if h.split()[1] != "type" and h.split()[-1] in names]


def _class_covers(lines: cfgtree.Lines, name: str) -> bool:
    if name == "class-default":
        return True
    for match in cfgtree.children(lines, [f"class-map {name}"]):
        if match.startswith("match default-inspection-traffic"):
            return True
        found = _MATCH_PORT.match(match)
        if found and found.group(1):
            return found.group(1) in (str(SMTP_PORT), "smtp")
        if found:
            return int(found.group(2)) <= SMTP_PORT <= int(found.group(3))
    return False


def _map_inspection(lines: cfgtree.Lines, name: str | None) -> SmtpInspection:
    if name is None:
        return SmtpInspection.esmtp_default()
    path = [f"policy-map type inspect esmtp {name}"]
    params = cfgtree.children(lines, [*path, "parameters"])
    matches = cfgtree.children(lines, path)
    others_masked = "match ehlo-reply-parameter others" in matches and "mask" in cfgtree.children(
        lines, [*path, "match ehlo-reply-parameter others"]
    )
    return SmtpInspection(
        kind=SmtpInspection.esmtp_default().kind,
        mask_banner="mask-banner" in params,
        allow_tls="allow-tls" in params,
        mask_others=others_masked,
    )


def describe(inspection: SmtpInspection) -> str:
    """Short word for `lab status`: none, pix-fixup, pix-mailhost, esmtp-default, esmtp-tuned..."""
    kind = inspection.kind.value
    if kind != "esmtp":
        return kind
    if inspection.mask_banner or not inspection.allow_tls:
        return "esmtp-default" if inspection == SmtpInspection.esmtp_default() else "esmtp-masking"
    return "esmtp-tuned"
