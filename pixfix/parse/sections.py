"""Cut a configuration into the few sections SMTP inspection lives in, and run each template.

TextFSM costs about 1.4 us per input line per template, so a 2,000-line configuration is never
fed whole: one regular expression (C speed) picks the top-level lines and blocks each template
needs, and each template then sees only its own section. Lines at column 0 only are heads, so
text in banners (`banner motd fixup protocol smtp 25`), names (`name 10.1.1.1 mailhost`),
remarks (`access-list X remark inspect esmtp`) and indented descriptions never reaches a template.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from functools import cache
from typing import Any

import textfsm

from pixfix.errors import ParseError, TemplateError
from pixfix.resources import textfsm_template

logger = logging.getLogger(__name__)

Records = list[dict[str, str]]

FIXUP = "config_fixup"
MAILHOST = "config_mailhost"
CLASS_MAP = "config_class_map"
POLICY_MAP = "config_policy_map"
ESMTP_MAP = "config_esmtp_map"
SERVICE_POLICY = "config_service_policy"

TEMPLATES: tuple[str, ...] = (FIXUP, MAILHOST, CLASS_MAP, POLICY_MAP, ESMTP_MAP, SERVICE_POLICY)
"""Every TextFSM template the configuration parser runs, in the order it runs them."""

# Searched in "\n" + text: the literal newline first lets the engine skip from line to line.
# A block goes on over indented lines, and over blank lines that come before an indented line
# (a pager erase turned into a line break leaves those inside a policy-map).
_SECTION_RE = re.compile(
    r"\n(?:(?:no[ ]+)?(?:fixup|mailhost)[ ][^\n]*"
    r"|service-policy[ ][^\n]*"
    r"|(?:class-map|policy-map)[ ][^\n]*"
    r"(?:\n[ \t]*(?=[ \t\n]*\n[ \t]+\S)|\n[ \t][^\n]*)*)"
)


def _section_of(head: str) -> str | None:
    """Which template a block belongs to, from its first line; None for blocks we skip."""
    if head.startswith(("fixup", "no fixup")):
        return FIXUP
    if head.startswith(("mailhost", "no mailhost")):
        return MAILHOST
    if head.startswith("service-policy"):
        return SERVICE_POLICY
    if head.startswith("class-map"):
        return None if head.startswith("class-map type ") else CLASS_MAP
    if head.startswith("policy-map type inspect esmtp "):
        return ESMTP_MAP
    return None if head.startswith("policy-map type ") else POLICY_MAP


def split_sections(text: str) -> dict[str, str]:
    """The lines of clean configuration text each template needs, keyed by template name."""
    parts: dict[str, list[str]] = {}
    for match in _SECTION_RE.finditer("\n" + text):
        block = match.group()[1:]
        name = _section_of(block)
        if name is not None:
            lines = block.split("\n")
            parts.setdefault(name, []).extend(line for line in lines if line.strip())
    return {name: "\n".join(lines) + "\n" for name, lines in parts.items()}


@cache
def _template_source(name: str) -> str:
    return textfsm_template(name).read_text(encoding="utf-8")


_compiled = threading.local()


def _fsm(name: str) -> Any:
    """A compiled template, one per thread: compiling costs about 0.3 ms, more than parsing."""
    cache: dict[str, Any] = _compiled.__dict__.setdefault("fsms", {})
    if name not in cache:
        try:
            cache[name] = textfsm.TextFSM(io.StringIO(_template_source(name)))
        except textfsm.TextFSMTemplateError as exc:
            raise TemplateError(f"TextFSM template {name}: {exc}") from exc
    fsm = cache[name]
    fsm.Reset()
    return fsm


_TEXTFSM_ERROR_RE = re.compile(
    r'Error: "?(?P<why>.*?)"?\. Rule Line: \d+\. Input Line: (?P<line>.*)'
)


def _refusal(name: str, message: str) -> str:
    """One line from a TextFSM Error: the template's reason and the refused line."""
    match = _TEXTFSM_ERROR_RE.search(message)
    if match is None:
        return f"{name}: {message}"
    line = match["line"].rstrip(".").strip()
    return f"{match['why']}: {line!r} ({name})"


def run_template(name: str, text: str) -> Records:
    """Run one of our TextFSM templates; a line the template refuses raises ParseError.

    The one place textfsm (untyped) is called: every value comes back as a `str`.
    """
    fsm = _fsm(name)
    try:
        rows = fsm.ParseText(text)
    except textfsm.TextFSMError as exc:
        raise ParseError(_refusal(name, str(exc))) from exc
    header: list[str] = list(fsm.header)
    return [{key: str(value) for key, value in zip(header, row, strict=True)} for row in rows]


def template_records(text: str) -> dict[str, Records]:
    """Every template's records for clean configuration text (templates with no input omitted)."""
    sections = split_sections(text)
    records = {name: run_template(name, sections[name]) for name in TEMPLATES if name in sections}
    logger.debug("template records: %s", {name: len(rows) for name, rows in records.items()})
    return records
