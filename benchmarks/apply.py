"""Apply benchmark: a change window over a generated lab fleet, timed end to end and per step.

    benchmarks/apply.py --devices 200 --rtt-ms 50 --workers 25 [--json]
    benchmarks/apply.py --devices 200 --latency-ms 50 --workers 25 [--json]

Starts a generated SSH-only lab (`pixfix lab up --detach`; with `--rtt-ms` every device behind
the lab's relay, so that every chunk both ways pays the round trip, SMTP probes included) and
runs, each as its own process:
`pixfix audit` (for scale), `pixfix plan` and `pixfix approve`, then `pixfix apply --yes` with
verification, the SMTP probe (every lab device has an `mx`) and the save. The per-device steps
come from the run's journal (`log.jsonl`, one time-stamped line per read, line typed and event):

- connect: from the device's start to the first reply (login, enable, `show version`);
- reread: the rest of the reads before the change (role, running and saved configurations);
- send: the change's lines;
- verify: the new session that reads the result back;
- probe: the SMTP probe of the device's mx;
- save: `write memory` and the check of the saved configuration, to the device's end.

It exits 1 unless every planned device ended `applied` and saved: a fast failure is not a fast
apply. `--json` prints one line: devices, rtt_ms, measured_rtt_ms, latency_ms, workers, audit_s,
plan_s, apply_s, ratio_audit (apply / audit), planned, applied, steps (median seconds per step
over the applied devices).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from fleet_audit import add_fleet_options  # a sibling script: benchmarks/ is on sys.path

STEPS = ("connect", "reread", "send", "verify", "probe", "save")


def pixfix(*args: str | Path, cwd: Path, timeout: float = 1800) -> tuple[float, str]:
    """Run the pixfix CLI; its wall-clock seconds and stdout (exit codes 0 and 1 are results)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pixfix", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"pixfix {args[0]} exited {done.returncode}: {done.stderr[-500:]}")
    return time.perf_counter() - start, done.stdout


def _at(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(entry["at"]).replace("Z", "+00:00")).timestamp()


def steps_of(entries: list[dict[str, Any]]) -> dict[str, float]:
    """One device's journal lines, in order, cut into the steps above (seconds each)."""
    marks: dict[str, float] = {}
    phase, sent = "connect", False
    for entry in entries:
        when = _at(entry)
        if entry.get("event") == "start":
            marks["start"] = when
        elif "send" in entry:
            if entry["send"].strip() == "write memory":
                marks.setdefault("probe_end", when)
                phase = "save"
            elif phase in ("connect", "reread"):
                marks["reread_end"] = marks.get("last", when)
                phase, sent = "send", True
        elif "command" in entry:
            if phase == "connect":
                marks["connect_end"], phase = when, "reread"
            elif phase == "send" and sent and not entry["command"].startswith(("show", "chang")):
                marks["send_end"] = when
            elif phase == "send":
                phase = "verify"
        elif entry.get("event") == "probe":
            marks["verify_end"], phase = marks.get("last", when), "probe"
            marks["probe_end"] = when
        elif entry.get("event") == "end":
            marks["end"] = when
        marks["last"] = when
    order = ["start", "connect_end", "reread_end", "send_end", "verify_end", "probe_end", "end"]
    return {
        step: max(0.0, marks[order[i + 1]] - marks[order[i]])
        for i, step in enumerate(STEPS)
        if order[i] in marks and order[i + 1] in marks
    }


def journal(run: Path) -> dict[str, list[dict[str, Any]]]:
    by_device: dict[str, list[dict[str, Any]]] = {}
    for line in (run / "log.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if "device" in entry:
            by_device.setdefault(entry["device"], []).append(entry)
    return by_device


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pixfix-apply-") as tmp:
        work = Path(tmp)
        state, inventory = work / "state", work / "inventory.yaml"
        delay = ["--latency-ms", str(args.latency_ms)]
        if args.rtt_ms:
            delay += ["--rtt-ms", str(args.rtt_ms), "--jitter-ms", str(args.jitter_ms)]
        subprocess.run(
            [sys.executable, "-m", "pixfix", "lab", "--state-dir", str(state), "up", "--detach",
             "--devices", str(args.devices), "--ssh-only", *delay,
             "--base-port", str(args.base_port), "--inventory-out", str(inventory)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        try:
            lab = json.loads((state / "lab.json").read_text())
            return _measure(work, inventory, args) | {"measured_rtt_ms": lab.get("measured_rtt_ms")}
        finally:
            subprocess.run(
                [sys.executable, "-m", "pixfix", "lab", "--state-dir", str(state), "down"],
                capture_output=True, timeout=120, check=False,
            )  # fmt: skip


def _measure(work: Path, inventory: Path, args: argparse.Namespace) -> dict[str, Any]:
    workers = str(args.workers)
    audit_s, _ = pixfix("audit", "-i", inventory, "--format", "json", "-q", "--workers", workers,
                        cwd=work)  # fmt: skip
    plan_s, _ = pixfix("plan", "-i", inventory, "--out", "plan", "-q", "--workers", workers,
                       cwd=work)  # fmt: skip
    pixfix("approve", "plan", "--by", "benchmark", cwd=work)
    apply_s, _ = pixfix("apply", "plan", "--yes", "--window", "now/PT2H", "-q", "--workers",
                        workers, "--max-failures", str(args.devices), cwd=work)  # fmt: skip
    (run,) = (work / "runs").iterdir()
    devices = json.loads((run / "result.json").read_text())["devices"]
    planned = [d for d in devices if d["plan"]["commands"]]
    applied = [d for d in planned if d["status"] == "applied" and d["saved"]]
    logs = journal(run)
    per_step: dict[str, list[float]] = {step: [] for step in STEPS}
    for device in applied:
        for step, seconds in steps_of(logs.get(device["name"], [])).items():
            per_step[step].append(seconds)
    return {
        "devices": args.devices,
        "rtt_ms": args.rtt_ms,
        "latency_ms": args.latency_ms,
        "workers": args.workers,
        "audit_s": round(audit_s, 3),
        "plan_s": round(plan_s, 3),
        "apply_s": round(apply_s, 3),
        "ratio_audit": round(apply_s / audit_s, 2),
        "planned": len(planned),
        "applied": len(applied),
        "steps": {k: round(statistics.median(v), 3) if v else None for k, v in per_step.items()},
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_fleet_options(parser)
    parser.add_argument("--base-port", type=int, default=10022)
    parser.add_argument("--json", action="store_true", help="print one JSON line on stdout")
    args = parser.parse_args(argv)
    if args.latency_ms is None:
        args.latency_ms = 0 if args.rtt_ms else 50
    line = benchmark(args)
    delay = (f"RTT {line['rtt_ms']} ms (measured {line['measured_rtt_ms']} ms)"
             if line["rtt_ms"] else f"latency {line['latency_ms']} ms")  # fmt: skip
    print(
        f"{line['devices']} devices, {delay}, {line['workers']} workers: "
        f"audit {line['audit_s']} s, plan {line['plan_s']} s, apply {line['apply_s']} s "
        f"({line['ratio_audit']}x the audit); "
        f"{line['applied']} of {line['planned']} planned devices applied and saved; "
        f"median per step: {line['steps']}",
        file=sys.stderr,
    )
    if args.json:
        print(json.dumps(line))
    return 0 if line["planned"] and line["applied"] == line["planned"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
