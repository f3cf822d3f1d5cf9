"""The dashboard's charts: SVG drawn by pygal, inlined in the page.

pygal draws SVG on the server side, in Python: the chart is part of the page (no script, no
network, nothing to load), reads in any browser and prints. Its optional tooltips need a
script fetched from the network, which a page opened from a ticket or a file share must not do:
`js=[]` leaves it out, and the small configuration script pygal still writes for it is removed.
pygal gives every chart a random id; it is replaced by a fixed one so the same history always
gives the same page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

from pixfix.model import Status
from pixfix.text import strip_control

COLORS = {
    Status.EXPOSED: "#c62828",
    Status.UNSAVED: "#ef6c00",
    Status.TUNED: "#f9a825",
    Status.COMPLIANT: "#2e7d32",
    Status.ERROR: "#6a1b9a",
}
_STYLE = Style(
    background="white",
    plot_background="white",
    colors=tuple(COLORS.values()),
    font_family="sans-serif",
    opacity="0.85",
    opacity_hover="0.95",
)
_SCRIPT_RE = re.compile(r"<script\b.*?</script>", re.DOTALL)
_ID_RE = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_X_LABELS = 12


def _svg(chart: pygal.graph.graph.Graph, chart_id: str) -> Markup:
    text = chart.render(is_unicode=True)
    # pygal builds the SVG as an XML tree, so the text it draws is escaped by its serialiser
    return Markup(_ID_RE.sub(chart_id, _SCRIPT_RE.sub("", text)))  # noqa: S704


def _ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 to at least `top`, about five of them."""
    step = 1
    while top / step > 5:
        step *= 5 if str(step)[0] == "2" else 2
    return list(range(0, top + step, step)) if top else [0, 1]


def _options(title: str, top: int, height: int = 360) -> dict[str, object]:
    ticks = _ticks(top)
    return {
        "y_labels": ticks,
        "range": (0, ticks[-1]),
        "include_x_axis": True,
        "style": _STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "title": title,
        "width": 960,
        "height": height,
        "legend_at_bottom": True,
        "print_values": False,
        "show_dots": False,
        "truncate_label": 24,
    }


def trend_chart(labels: Sequence[str], counts: Sequence[Mapping[str, int]]) -> Markup:
    """Devices per verdict in each audit, oldest first (stacked)."""
    top = max((sum(row.values()) for row in counts), default=0)
    chart = pygal.StackedLine(fill=True, **_options("Devices per verdict, audit by audit", top))
    chart.x_labels = list(labels)
    every = max(1, len(labels) // MAX_X_LABELS)
    chart.x_labels_major = list(labels)[::every]
    chart.show_minor_x_labels = False
    for status in COLORS:
        chart.add(status.value, [row.get(status.value, 0) for row in counts])
    return _svg(chart, "chart-trend")


def state_chart(title: str, rows: Sequence[tuple[str, Mapping[str, int]]], chart_id: str) -> Markup:
    """Devices per verdict for each row (a software train, a group), as stacked bars."""
    top = max((sum(counts.values()) for _, counts in rows), default=0)
    chart = pygal.HorizontalStackedBar(**_options(title, top, height=140 + 36 * len(rows)))
    chart.x_labels = [strip_control(name) for name, _ in rows]  # device and inventory text
    for status in COLORS:
        chart.add(status.value, [counts.get(status.value, 0) for _, counts in rows])
    return _svg(chart, chart_id)
