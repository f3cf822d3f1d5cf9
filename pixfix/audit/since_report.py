"""The `since` part of an audit report (`pixfix audit --history DB --since ...`), per format.

The difference itself is computed by `pixfix.history.since`; this only renders it: a paragraph
under the table, a markdown section, a JUnit test suite whose failures are the regressions, the
JSON object `since`, and Prometheus gauges. Device text goes through `pixfix.text`.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from pixfix.history.since import SINCE_KEYS, Since
from pixfix.text import markdown_code_block, markdown_text, strip_control, xml_text

JUNIT_SINCE = "pixfix.since"
_WORDS = {
    "regressions": "exposed again (regression)",
    "fixed": "fixed",
    "unreachable": "could not be audited now",
    "new": "new",
    "gone": "gone",
}


def _when(started: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(started))


def since_heading(since: Since) -> str:
    """`Since the audit of 2026-12-01 02:00 (#12): 1 regression, 1 fixed` (or why not)."""
    reference = since.reference
    if reference is None:
        return "Since: no earlier audit of this scope in the history; this one is the first."
    counts = [f"{len(since.names(key))} {_WORDS[key]}" for key in SINCE_KEYS if since.names(key)]
    found = ", ".join(counts) or "no change"
    return f"Since the audit of {_when(reference.started)} (#{reference.audit_id}): {found}"


def since_lines(since: Since) -> list[str]:
    """Plain lines for the table: the heading, then each list with its devices."""
    lines = [since_heading(since)]
    if since.reference is None:
        return lines
    for regression in since.regressions:
        sides = " and ".join(regression.sides)
        lines.append(f"  REGRESSION {strip_control(regression.label)} ({sides}, was "
                     f"{regression.was.value}):")  # fmt: skip
        lines += [f"    {strip_control(line)}" for line in regression.lines]
    for key in SINCE_KEYS[1:]:
        if names := since.names(key):
            lines.append(f"  {_WORDS[key]}: {', '.join(strip_control(n) for n in names)}")
    return lines


def since_markdown(since: Since) -> list[str]:
    """A markdown section: the heading, each regression with its lines, then the lists."""
    lines = ["", "## Since an earlier audit", "", markdown_text(since_heading(since))]
    for regression in since.regressions:
        sides = " and ".join(regression.sides)
        lines += [
            "",
            f"### Regression: {markdown_text(regression.label)} ({sides}, was "
            f"{regression.was.value})",
            "",
            markdown_code_block(regression.lines),
        ]
    lists = [(key, since.names(key)) for key in SINCE_KEYS[1:] if since.names(key)]
    if lists:
        lines.append("")
    for key, names in lists:
        lines.append(f"- {_WORDS[key]}: {', '.join(markdown_text(n) for n in names)}")
    return lines


def add_since_suite(root: ET.Element, since: Since) -> None:
    """A second test suite: one failing testcase per regression, named by its device."""
    regressions = since.regressions
    totals = {"tests": str(len(regressions)), "failures": str(len(regressions))}
    for key, value in totals.items():  # the root's totals count every suite
        root.set(key, str(int(root.get(key, "0")) + int(value)))
    suite = ET.SubElement(
        root, "testsuite", {"name": JUNIT_SINCE, **totals, "errors": "0", "skipped": "0"}
    )
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="since",
                  value=xml_text(since_heading(since)))  # fmt: skip
    for regression in regressions:
        case = ET.SubElement(suite, "testcase", classname=JUNIT_SINCE,
                             name=xml_text(regression.label))  # fmt: skip
        message = f"exposed again ({', '.join(regression.sides)}), was {regression.was.value}"
        failure = ET.SubElement(case, "failure", message=message, type="regression")
        failure.text = xml_text("\n".join(regression.lines))


def since_prometheus(since: Since) -> str:
    """`pixfix_since_devices{change=...}`: devices per kind of change since the reference."""
    out = [
        "# HELP pixfix_since_devices Devices per change since the previous recorded audit.\n",
        "# TYPE pixfix_since_devices gauge\n",
    ]
    out += [
        f'pixfix_since_devices{{change="{key}"}} {len(since.names(key))}\n' for key in SINCE_KEYS
    ]
    return "".join(out)
