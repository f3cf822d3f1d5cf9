"""Fleet audit benchmark: `pixfix audit` against the peers a team could pick, on one lab.

    benchmarks/fleet_audit.py --devices 200 --rtt-ms 50 --workers 25 [--repeats 3] [--json]
    benchmarks/fleet_audit.py --devices 50 --latency-ms 50 --workers 10 [--json]

Starts, in a separate process, a generated SSH-only lab (`pixfix lab up --detach`): with
`--rtt-ms R` every device sits behind the lab's relay, so that every chunk both ways (SSH
handshake, authentication, typed commands, replies) pays the round trip, as on a WAN; with
`--latency-ms L` (the earlier model) only what a device prints is delayed. Then it times on that
same fleet, each tool as its own process, interleaved over the repeats (the order rotates):

1. `pixfix audit -i INVENTORY --format json` (the real CLI, W workers, strict host keys);
2. the peers of `benchmarks/peers.py`: `nornir` (Nornir + nornir_netmiko), `scrapli`
   (scrapli's asyncio API, `cisco_asa`), `asyncssh` (a bare asyncssh client: the floor) and
   `bare` (a bare paramiko shell per device), all making the reads pixfix makes.

The peers print raw replies; this script audits them afterwards (untimed) with pixfix's own
pure functions and checks that every device is accounted for and that every peer found
exactly the per-device results of `pixfix audit`. It prints medians, ratios, the peak RSS of
the pixfix process, the CPU seconds of each client and of the lab during its runs (separately),
and a floor model beside the figures (`floor_model`). `--json` prints one line (see
benchmarks/README.md). This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

TOOLS = ("pixfix", "nornir", "scrapli", "asyncssh", "bare")
PEERS = Path(__file__).with_name("peers.py")
SMTP_OFFSET = 5000  # the lab's SMTP endpoints sit at base + 5000 + i
TICK = os.sysconf("SC_CLK_TCK")
# The floor model's round trips per device over SSH (password login, one shell):
SSH_ROUNDS = 4  # version and key exchange start, ECDH, NEWKEYS + service request, password
CHANNEL_ROUNDS = 3  # channel open, pty request, shell request (each waits for its reply)
CLI_ROUNDS = 3  # `enable` -> Password:, the secret -> `#`, the pager off and all reads together
TCP_ROUNDS = 1  # the TCP handshake: a WAN costs it, the lab's user-space relay cannot delay it
CLI_PRINTS = 4  # --latency-ms: delayed chunks only: the prompt, Password:, `#`, the replies


@dataclasses.dataclass
class Run:
    """One timed run of one tool: wall clock, peak RSS, CPU (its own and the lab's), output."""

    seconds: float
    peak_rss_mb: float
    client_cpu_s: float
    lab_cpu_s: float
    stdout: str


# -- the lab ---------------------------------------------------------------------------------
def pixfix_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pixfix", *args]


def ports_free(base: int, count: int) -> bool:
    """No listener on either port block of the lab (SSH and SMTP) on 127.0.0.1. A port held only
    by a client connection (in the ephemeral range) is free: the lab waits for it."""
    for port in [
        *range(base, base + count),
        *range(base + SMTP_OFFSET, base + SMTP_OFFSET + count),
    ]:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the lab binds
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                if _listening(port):
                    return False
    return True


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def lab_up(state: Path, inventory: Path, args: argparse.Namespace) -> float:
    """Start the lab detached; returns the wall-clock seconds `lab up --detach` took."""
    delay = ["--latency-ms", str(args.latency_ms)]
    if args.rtt_ms:
        delay += ["--rtt-ms", str(args.rtt_ms), "--jitter-ms", str(args.jitter_ms)]
    command = pixfix_cli(
        "lab", "--state-dir", str(state), "up", "--detach", "--devices", str(args.devices),
        "--ssh-only", *delay, "--base-port", str(args.base_port),
        "--inventory-out", str(inventory),
    )  # fmt: skip
    for attempt in range(3):  # a port of the SMTP block may be held by another's TIME_WAIT
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode == 0:
            return time.perf_counter() - start
        print(f"lab up failed (try {attempt + 1}): {done.stderr.strip()[-300:]}", file=sys.stderr)
    raise RuntimeError("the lab did not start")


def lab_down(state: Path) -> None:
    subprocess.run(pixfix_cli("lab", "--state-dir", str(state), "down"), capture_output=True,
                   timeout=120, check=False)  # fmt: skip


def lab_state(state: Path) -> dict[str, Any]:
    return dict(json.loads((state / "lab.json").read_text()))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (every thread), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


# -- timing one tool, as its own process -------------------------------------------------------
def timed(tool: str, command: list[str], lab_pid: int) -> Run:
    """Wall clock, peak RSS and CPU of exactly this child (wait4's rusage), and the lab's CPU."""
    with tempfile.TemporaryFile() as out:
        lab_before = cpu_seconds(lab_pid)
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        lab_cpu = cpu_seconds(lab_pid) - lab_before
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if child.returncode not in (0, 1):  # audit: 1 means "some device exposed"
        raise RuntimeError(f"{tool} exited {child.returncode}")
    return Run(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024,
               client_cpu_s=usage.ru_utime + usage.ru_stime, lab_cpu_s=lab_cpu,
               stdout=text)  # fmt: skip


def tool_command(tool: str, inventory: Path, workers: int) -> list[str]:
    if tool == "pixfix":
        return pixfix_cli("audit", "-i", str(inventory), "--format", "json", "-q",
                          "--workers", str(workers))  # fmt: skip
    return [sys.executable, str(PEERS), tool, "--inventory", str(inventory),
            "--workers", str(workers)]  # fmt: skip


# -- turning replies into pixfix results (untimed) ---------------------------------------------
def results_of_pixfix(stdout: str) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in json.loads(stdout)["devices"]}


def results_of_replies(stdout: str) -> dict[str, dict[str, Any]]:
    """Audit a baseline's raw replies with pixfix's pure functions, as `collect` does."""
    from pixfix.audit.verdict import audit_config
    from pixfix.model import DeviceResult, Status
    from pixfix.parse.config import parse_show_version
    from pixfix.parse.show import failover_state

    out: dict[str, dict[str, Any]] = {}
    for name, replies in json.loads(stdout).items():
        if "error" in replies:
            result = DeviceResult(name=name, status=Status.ERROR, error=replies["error"])
        else:
            software = parse_show_version(replies["show version"])
            verdict = audit_config(replies["show running-config"])
            role = failover_state(replies["show failover"]).role
            result = DeviceResult.from_verdict(name, verdict, role=role)
            if result.status is not Status.ERROR:
                result = result.with_saved(audit_config(replies["show startup-config"]))
            if result.platform is None:
                result = dataclasses.replace(
                    result, platform=software.platform, software=software.version
                )
        out[name] = result.to_json()
    return out


def differences(reference: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Names whose results differ, on the fields `other` has (reports may add their own keys)."""
    names = sorted(set(reference) | set(other))
    return [
        n for n in names if n not in reference or n not in other or _differ(reference[n], other[n])
    ]


def _differ(reference: dict[str, Any], other: dict[str, Any]) -> bool:
    return any(reference.get(key) != value for key, value in other.items())


# -- the benchmark -----------------------------------------------------------------------------
def measure(inventory: Path, args: argparse.Namespace, lab_pid: int) -> dict[str, list[Run]]:
    """Each tool `repeats` times, interleaved (the order rotates) so drift hits all alike."""
    tools = args.tools
    runs: dict[str, list[Run]] = {tool: [] for tool in tools}
    for index in range(args.repeats):
        shift = index % len(tools)
        for tool in tools[shift:] + tools[:shift]:
            run = timed(tool, tool_command(tool, inventory, args.workers), lab_pid)
            runs[tool].append(run)
            print(f"  repeat {index + 1} {tool}: {run.seconds:.2f} s", file=sys.stderr)
    return runs


def check(runs: dict[str, list[Run]], names: set[str]) -> dict[str, list[str]]:
    """Every device accounted for, and every peer found the same results as pixfix; only the
    problems found (an empty dict: all agree)."""
    reference = results_of_pixfix(runs["pixfix"][0].stdout)
    report: dict[str, list[str]] = {"missing": sorted(names - set(reference))}
    report["errors"] = sorted(n for n, r in reference.items() if r["status"] == "error")
    again = [differences(reference, results_of_pixfix(r.stdout)) for r in runs["pixfix"][1:]]
    report["pixfix_unstable"] = sorted({n for diff in again for n in diff})
    for tool, tool_runs in runs.items():
        if tool != "pixfix":
            found = [differences(reference, results_of_replies(r.stdout)) for r in tool_runs]
            report[f"{tool}_differs"] = sorted({n for diff in found for n in diff})
    return {key: names for key, names in report.items() if names}


def floor_model(args: argparse.Namespace, rtt_ms: float, cpu_per_device: float) -> dict[str, Any]:
    """Round trips a login and the reads need at the least, times the round trip, times the
    waves (devices / workers), plus the floor client's CPU per device for every device."""
    waves = math.ceil(args.devices / args.workers)
    if args.rtt_ms:
        lab_rounds = SSH_ROUNDS + CHANNEL_ROUNDS + CLI_ROUNDS
        rounds = lab_rounds + TCP_ROUNDS
    else:  # only what a device prints is delayed; the handshake is not
        lab_rounds = rounds = CLI_PRINTS
    cpu = args.devices * cpu_per_device
    return {
        "waves": waves,
        "rounds_per_device": rounds,
        "rounds_paid_in_lab": lab_rounds,
        "cpu_per_device_ms": round(cpu_per_device * 1000, 2),
        "floor_s": round(waves * rounds * rtt_ms / 1000 + cpu, 3),
        "floor_lab_s": round(waves * lab_rounds * rtt_ms / 1000 + cpu, 3),
    }


def _median(runs: list[Run], field: str) -> float:
    return float(statistics.median(getattr(run, field) for run in runs))


def summary(runs: dict[str, list[Run]], args: argparse.Namespace, lab: dict[str, Any],
            report: dict[str, list[str]]) -> dict[str, Any]:  # fmt: skip
    median = {tool: round(_median(r, "seconds"), 3) for tool, r in runs.items()}
    rtt = float(args.rtt_ms or args.latency_ms)
    floor_runs = runs.get("asyncssh") or runs["pixfix"]
    model = floor_model(args, rtt, _median(floor_runs, "client_cpu_s") / args.devices)
    reference = results_of_pixfix(runs["pixfix"][0].stdout)
    line: dict[str, Any] = {
        "devices": args.devices,
        "rtt_ms": args.rtt_ms,
        "jitter_ms": args.jitter_ms if args.rtt_ms else None,
        "measured_rtt_ms": lab.get("measured_rtt_ms"),
        "latency_ms": args.latency_ms,
        "workers": args.workers,
        **{f"{tool}_s": median.get(tool) for tool in TOOLS},
        "floor_s": model["floor_s"],
        "pixfix_rss_mb": round(max(r.peak_rss_mb for r in runs["pixfix"]), 1),
        "accounted": sum(1 for r in reference.values() if r["status"] != "error"),
        "checks": report,
        "client_cpu_s": {tool: round(_median(r, "client_cpu_s"), 2) for tool, r in runs.items()},
        "lab_cpu_s": {tool: round(_median(r, "lab_cpu_s"), 2) for tool, r in runs.items()},
        "floor_model": model,
    }
    for tool in TOOLS[1:]:
        if tool in median:
            line[f"ratio_{tool}"] = round(median["pixfix"] / median[tool], 3)
    line["ratio_floor"] = (
        round(median["pixfix"] / model["floor_s"], 3) if model["floor_s"] else None
    )
    return line


def print_table(line: dict[str, Any], runs: dict[str, list[Run]], lab_seconds: float) -> None:
    out = sys.stderr
    delay = (f"RTT {line['rtt_ms']} ms (measured {line['measured_rtt_ms']} ms)"
             if line["rtt_ms"] else f"latency {line['latency_ms']} ms")  # fmt: skip
    print(f"\n{line['devices']} devices, {delay}, {line['workers']} workers "
          f"(lab up: {lab_seconds:.2f} s)", file=out)  # fmt: skip
    print(f"{'tool':<9} {'median s':>9} {'pixfix/x':>8} {'runs s':<22} {'client CPU s':>12} "
          f"{'lab CPU s':>9} {'peak RSS MB':>11}", file=out)  # fmt: skip
    for tool, tool_runs in runs.items():
        seconds = " ".join(f"{r.seconds:.2f}" for r in tool_runs)
        ratio = line.get(f"ratio_{tool}", 1.0)
        rss = max(r.peak_rss_mb for r in tool_runs)
        print(f"{tool:<9} {line[tool + '_s']:>9.3f} {ratio:>8.2f} {seconds:<22} "
              f"{line['client_cpu_s'][tool]:>12.2f} {line['lab_cpu_s'][tool]:>9.2f} "
              f"{rss:>11.0f}", file=out)  # fmt: skip
    model = line["floor_model"]
    print(f"floor model: {model['waves']} waves x {model['rounds_per_device']} round trips x "
          f"{line['rtt_ms'] or line['latency_ms']} ms + {line['devices']} x "
          f"{model['cpu_per_device_ms']} ms CPU = {model['floor_s']} s "
          f"({model['floor_lab_s']} s without what the lab cannot delay); "
          f"pixfix/floor {line['ratio_floor']}", file=out)  # fmt: skip
    shown = {key: names[:5] + ([f"... {len(names)} in all"] if len(names) > 5 else [])
             for key, names in line["checks"].items()}  # fmt: skip
    print(f"accounted: {line['accounted']} of {line['devices']}; checks: {json.dumps(shown)}",
          file=out)  # fmt: skip


def benchmark(args: argparse.Namespace) -> int:
    if not ports_free(args.base_port, args.devices):
        print(f"ports {args.base_port}+{args.devices} or their SMTP block are taken: "
              "choose --base-port", file=sys.stderr)  # fmt: skip
        return 2
    with tempfile.TemporaryDirectory(prefix="pixfix-bench-") as tmp:
        state, inventory = Path(tmp) / "state", Path(tmp) / "inventory.yaml"
        try:
            lab_seconds = lab_up(state, inventory, args)
            lab = lab_state(state)
            names = set(yaml.safe_load(inventory.read_text())["hosts"])
            runs = measure(inventory, args, int(lab["pid"]))
        finally:
            lab_down(state)
    report = check(runs, names)
    measured = lab.get("measured_rtt_ms")
    if args.rtt_ms and (measured is None or abs(measured - args.rtt_ms) > 0.05 * args.rtt_ms):
        report["relay"] = [f"measured RTT {measured} ms is not within 5% of {args.rtt_ms} ms"]
    line = summary(runs, args, lab, report)
    print_table(line, runs, lab_seconds)
    if args.json:
        print(json.dumps(line))
    return 0 if not report else 1


def add_fleet_options(parser: argparse.ArgumentParser) -> None:
    """The lab's size and delay, and the workers: the same options here and in apply.py."""
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--rtt-ms", type=int, default=0, help="round trip on every chunk")
    parser.add_argument("--jitter-ms", type=int, default=0)
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=None,
        help="delay on device output only (default: 50 without --rtt-ms)",
    )
    parser.add_argument("--workers", type=int, default=10)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_fleet_options(parser)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base-port", type=int, default=10022)
    parser.add_argument(
        "--tools",
        default=",".join(TOOLS),
        help=f"comma-separated, pixfix first (default: {','.join(TOOLS)})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line on stdout")
    args = parser.parse_args(argv)
    if args.latency_ms is None:
        args.latency_ms = 0 if args.rtt_ms else 50
    args.tools = tuple(args.tools.split(","))
    if args.tools[0] != "pixfix" or not set(args.tools) <= set(TOOLS):
        parser.error(f"--tools: pixfix first, then any of {', '.join(TOOLS[1:])}")
    return args


def main(argv: list[str]) -> int:
    return benchmark(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
