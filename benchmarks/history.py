"""History benchmark: a year of nightly audits of a large fleet, and the dashboard made from it.

    benchmarks/history.py [--devices 500] [--nights 365] [--repeats 3] [--json]

Records `--nights` audits of a generated fleet of `--devices` devices through pixfix's own
recording code (`pixfix.history.db.History.record`, the path `pixfix audit --history` takes),
one audit per night, as a fleet changes over a year: a remediation campaign fixes exposed units
week by week, a few units regress (an RMA'd unit with the factory policy, a restored backup),
configurations change on ordinary nights, one unit in two hundred cannot be reached on a
given night, software is upgraded now and then. Then it times, each `--repeats` times as its own
process (the real CLI, start-up included):

- `pixfix report DB --out fleet.html` (the dashboard: every audit, every device's timeline);
- `pixfix history DB` and `pixfix history DB DEVICE`;
- the record of one more night with `--since last`, in process (what `pixfix audit --history
  DB --since last` adds to an audit).

It prints the database's size, the medians and the page's size; `--json` prints one line:
`{"devices", "nights", "db_mb", "record_s", "since_s", "report_s", "history_s",
"timeline_s", "page_mb", "regressions_open", "regressions_made"}`. A benchmark, not a test:
nothing asserts a time; the page is checked to hold every device. `regressions_open` (the page)
may be below `regressions_made` (the generator) by a unit that regressed on a night it could
not be read: the history cannot know it yet.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pixfix.history.db import AuditMeta, History, SinceSpec
from pixfix.history.snapshot import Snapshot
from pixfix.model import Status

DAY = 86400.0
START = 1_767_229_200.0  # 2026-01-01 02:00 UTC
SOFTWARE = [("asa", "9.8(4)"), ("asa", "9.12(4)"), ("asa", "9.16(4)"), ("asa", "9.18(4)"),
            ("pix", "6.3(5)"), ("pix", "7.0(8)"), ("fwsm", "3.1(1)")]  # fmt: skip
LINES = {"asa": "inspect esmtp", "pix": "fixup protocol smtp 25", "fwsm": "inspect smtp"}


class Fleet:
    """The generated fleet's state, night after night (seeded: the same fleet every run)."""

    def __init__(self, devices: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.names = [f"fw-{i:04d}" for i in range(devices)]
        self.software = {n: self.rng.choice(SOFTWARE) for n in self.names}
        self.status = {n: Status.EXPOSED if self.rng.random() < 0.6 else Status.COMPLIANT
                       for n in self.names}  # fmt: skip
        self.config = dict.fromkeys(self.names, 0)
        self.groups = {n: (f"site-{i % 25:02d}", "dmz" if i % 3 else "core")
                       for i, n in enumerate(self.names)}  # fmt: skip
        self.regressed: set[str] = set()

    def night(self) -> None:
        rng = self.rng
        for name in self.names:
            if self.status[name] is Status.EXPOSED and rng.random() < 0.02:
                self.status[name] = Status.COMPLIANT  # the campaign
                self.config[name] += 1
                self.regressed.discard(name)
            elif self.status[name] is Status.COMPLIANT and rng.random() < 0.001:
                self.status[name] = Status.EXPOSED  # a regression
                self.config[name] += 1
                self.regressed.add(name)
            elif rng.random() < 0.01:
                self.config[name] += 1  # an ordinary change
            if rng.random() < 0.0005:
                platform, _ = self.software[name]
                self.software[name] = rng.choice([s for s in SOFTWARE if s[0] == platform])

    def snapshots(self) -> list[Snapshot]:
        found = []
        for name in self.names:
            platform, software = self.software[name]
            if self.rng.random() < 0.005:
                found.append(Snapshot(name=name, status=Status.ERROR, running=Status.ERROR,
                                      error="connection timed out after 30 s",
                                      groups=self.groups[name]))  # fmt: skip
                continue
            status = self.status[name]
            lines = (LINES[platform],) if status is Status.EXPOSED else ()
            found.append(Snapshot(name=name, status=status, running=status, saved=status,
                                  lines=lines, saved_lines=lines, platform=platform,
                                  software=software, role="standalone",
                                  fingerprint=f"{name}:{self.config[name]:08x}" * 2,
                                  groups=self.groups[name]))  # fmt: skip
        return found


def _meta(night: int, seconds: float = 40.0) -> AuditMeta:
    return AuditMeta(started=START + night * DAY, seconds=seconds, source="live",
                     scope="inventory /etc/pixfix/fleet.yaml", inventory="fleet.yaml",
                     version="0.1.0", host="scheduler")  # fmt: skip


def generate(path: Path, devices: int, nights: int) -> tuple[Fleet, float]:
    fleet = Fleet(devices)
    started = time.perf_counter()
    with History.open(path) as db:
        for night in range(nights):
            fleet.night()
            db.record(_meta(night), fleet.snapshots())
    return fleet, time.perf_counter() - started


def _timed(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    pixfix = [sys.executable, "-m", "pixfix"]
    with tempfile.TemporaryDirectory(prefix="pixfix-history-") as tmp:
        db, page = Path(tmp, "history.db"), Path(tmp, "fleet.html")
        fleet, record_s = generate(db, args.devices, args.nights)
        with History.open(db) as history:
            fleet.night()
            started = time.perf_counter()
            history.record(_meta(args.nights), fleet.snapshots(), SinceSpec())
            since_s = time.perf_counter() - started
        report_s = _timed([*pixfix, "report", str(db), "--out", str(page)], args.repeats)
        history_s = _timed([*pixfix, "history", str(db)], args.repeats)
        timeline_s = _timed([*pixfix, "history", str(db), fleet.names[0]], args.repeats)
        text = page.read_text()
        missing = [name for name in fleet.names if f"<strong>{name}</strong>" not in text]
        if missing:
            raise SystemExit(f"the page lacks {len(missing)} devices, e.g. {missing[0]}")
        row = {
            "devices": args.devices,
            "nights": args.nights,
            "db_mb": round(db.stat().st_size / 1e6, 2),
            "record_s": round(record_s, 2),
            "since_s": round(since_s, 3),
            "report_s": round(report_s, 2),
            "history_s": round(history_s, 2),
            "timeline_s": round(timeline_s, 2),
            "page_mb": round(page.stat().st_size / 1e6, 2),
            "regressions_open": text.count("<tr><td><strong>"),  # the page's regression rows
            "regressions_made": len(fleet.regressed),  # the generator's (see the docstring)
        }
    if args.json:
        print(json.dumps(row))
    else:
        for key, value in row.items():
            print(f"{key:>18}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
