"""Compliance over time against the lab: audit, fix one unit by hand and put SMTP inspection
back on another, audit again: `--since last` says exactly one regression and one fix (exit 4),
the history holds both audits, and the dashboard shows the trend and the regression in a
headless browser (its screenshot is read pixel by pixel)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from labtools import run_pixfix, screenshot, units_file
from PIL import Image

from pixfix.transport.connect import open_session

pytestmark = pytest.mark.timeout(300)

CONFIGS = resources.files("pixfix.lab").joinpath("configs")
UNITS = {  # name: (software, startup configuration)
    "fw-fix": ("ASA 9.8(4)", "lab-asa84.cfg"),  # exposed: fixed by hand
    "fw-regress": ("ASA 9.16(4)", "lab-asa916-clean.cfg"),  # compliant: inspection put back
    "fw-steady": ("ASA 9.18(4)", "lab-asa918-tuned.cfg"),  # tuned throughout
}
CLASS = ["configure terminal", "policy-map global_policy", "class inspection_default"]
BY_HAND = {
    "fw-fix": [*CLASS, "no inspect esmtp", "end", "write memory"],
    "fw-regress": [*CLASS, "inspect esmtp", "end", "write memory"],
}
REGRESSION_BOX = (253, 236, 234)  # #fdecea, the open regressions' background
REGRESSION_EDGE = (198, 40, 40)  # #c62828, its border (and the exposed colour)


def _audit(lab: Any, folder: Path, db: Path) -> tuple[int, dict[str, Any]]:
    done = run_pixfix("audit", "-i", lab.inventory, "--history", db, "--since", "last",
                      "--format", "json", "-q", folder=folder, lab_dir=lab.state_dir)  # fmt: skip
    return done.returncode, json.loads(done.stdout)


def _by_hand(lab: Any, name: str, lines: list[str]) -> None:
    with open_session(lab.params(name)) as session:
        for line in lines:
            session.send_command(line, expect_string=r"#\s*$")


def _pixels(image: Image.Image, color: tuple[int, int, int], tolerance: int = 0) -> int:
    """How many pixels of the image have this colour (each channel within `tolerance`)."""
    rgb = image.convert("RGB")
    counts = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
    return sum(
        count
        for count, pixel in counts
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))
    )


def _below(image: Image.Image, color: tuple[int, int, int], height: int) -> Image.Image:
    """The band of `height` rows under the last row holding `color` (the regression box's
    border): the trend chart, which comes next on the page."""
    rgb = image.convert("RGB")
    rows = [y for y in range(rgb.height) if any(rgb.getpixel((x, y)) == color
                                                 for x in range(0, rgb.width, 4))]  # fmt: skip
    top = max(rows) + 1
    return rgb.crop((0, top, rgb.width, min(rgb.height, top + height)))


def _blend(color: tuple[int, int, int], opacity: float) -> tuple[int, int, int]:
    """A colour drawn at `opacity` over white (the charts' fill)."""
    return tuple(round(opacity * c + (1 - opacity) * 255) for c in color)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def history(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("history")
    lab = lab_factory("--devices-file", str(units_file(folder, UNITS)))
    db = folder / "history.db"
    first = _audit(lab, folder, db)
    (folder / "first.db").write_bytes(db.read_bytes())  # the history as it was after one audit
    for name, lines in BY_HAND.items():
        _by_hand(lab, name, lines)
    second = _audit(lab, folder, db)
    return {"lab": lab, "folder": folder, "db": db, "first": first, "second": second}


def test_since_last_shows_one_regression_and_one_fix(history: dict[str, Any]) -> None:
    code, report = history["first"]
    assert code == 1
    assert report["since"]["reference"] is None
    assert {d["name"]: d["status"] for d in report["devices"]} == {
        "fw-fix": "exposed", "fw-regress": "compliant", "fw-steady": "tuned",
    }  # fmt: skip
    code, report = history["second"]
    since = report["since"]
    assert code == 4, report
    assert (since["regressions"], since["fixed"]) == (["fw-regress"], ["fw-fix"])
    assert (since["unreachable"], since["new"], since["gone"]) == ([], [], [])
    assert since["lines"] == {"fw-regress": ["inspect esmtp"]}
    assert history["lab"].status()["fw-steady"]["config_sessions"] == 0


def test_the_history_holds_both_audits(history: dict[str, Any]) -> None:
    done = run_pixfix("history", history["db"], "--format", "json", folder=history["folder"])
    counts = [a["counts"] for a in json.loads(done.stdout)["audits"]]
    assert [(c["exposed"], c["tuned"], c["compliant"]) for c in counts] == [(1, 1, 1), (1, 1, 1)]
    done = run_pixfix("history", history["db"], "fw-regress", "--format", "json",
                      folder=history["folder"])  # fmt: skip
    changes = json.loads(done.stdout)["changes"]
    assert [(c["status"], c["changed"]) for c in changes] == [
        ("compliant", ["first seen"]),
        ("exposed", ["verdict", "configuration"]),
    ]


def test_the_dashboard_shows_the_trend_and_the_regression_in_a_browser(
    history: dict[str, Any],
) -> None:
    folder: Path = history["folder"]
    shots = {}
    for name in ("first", "history"):
        page = folder / f"{name}.html"
        done = run_pixfix("report", folder / f"{name}.db", "--out", page, folder=folder)
        assert done.returncode == 0, done.stderr
        shots[name] = screenshot(page, folder / f"{name}.png")
    html = (folder / "history.html").read_text()
    assert "Open regressions: 1" in html and "fw-regress" in html
    with Image.open(shots["history"]) as shot, Image.open(shots["first"]) as first:
        # the regression box is drawn (background and border), and only when there is one
        assert _pixels(shot, REGRESSION_BOX) > 20_000
        assert _pixels(shot, REGRESSION_EDGE) > 2_000
        assert _pixels(first, REGRESSION_BOX) == 0
        # under it, the trend chart: its exposed, tuned and compliant bands (0.85 opacity)
        trend = _below(shot, REGRESSION_EDGE, 460)
        for color in ((198, 40, 40), (249, 168, 37), (46, 125, 50)):
            assert _pixels(trend, _blend(color, 0.85), tolerance=4) > 10_000, color
