"""Fleet audit benchmark: `pixfix audit` against Nornir + netmiko and a bare paramiko client.

    benchmarks/fleet_audit.py --devices 50 --latency-ms 50 --workers 10 [--repeats 3] [--json]

Starts, in a separate process, a generated SSH-only lab (`pixfix lab up --detach`), then times on
that same fleet, each as its own process and interleaved over the repeats:

1. `pixfix audit -i INVENTORY --format json` (the real CLI, W workers);
2. `nornir`: what an engineer would write: Nornir's threaded runner and nornir_netmiko's
   `netmiko_send_command` (default netmiko settings, `enable=True`) running the same reads;
3. `bare`: the lower bound, one paramiko interactive shell per device (connect, auth, enable,
   `terminal pager 0`, the reads one by one, close), W threads.

The two baselines print the raw replies; this script audits them afterwards (untimed) with
pixfix's own pure functions and checks that Nornir (and the bare client) found exactly the
per-device results of `pixfix audit`. It prints medians, the ratios pixfix/nornir and
pixfix/bare, and the peak RSS of the pixfix process; `--json` prints one line with the keys
devices, latency_ms, workers, pixfix_s, nornir_s, bare_s, ratio_nornir, ratio_bare.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

# the reads of `pixfix audit` on a single-context ASA: identity, role, running and saved config
READS = ("show version", "show failover", "show running-config", "show startup-config")
TOOLS = ("pixfix", "nornir", "bare")
SMTP_OFFSET = 5000  # the lab's SMTP endpoints sit at base + 5000 + i


@dataclasses.dataclass
class Run:
    """One timed run of one tool: wall clock, its own peak RSS, what it printed."""

    seconds: float
    peak_rss_mb: float
    stdout: str


# -- the lab ---------------------------------------------------------------------------------
def pixfix_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pixfix", *args]


def ports_free(base: int, count: int) -> bool:
    """Both port blocks of the lab (SSH and SMTP) can be bound on 127.0.0.1 (no listener)."""
    for port in [
        *range(base, base + count),
        *range(base + SMTP_OFFSET, base + SMTP_OFFSET + count),
    ]:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the lab binds
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def lab_up(state: Path, inventory: Path, args: argparse.Namespace) -> float:
    """Start the lab detached; returns the wall-clock seconds `lab up --detach` took."""
    command = pixfix_cli(
        "lab", "--state-dir", str(state), "up", "--detach", "--devices", str(args.devices),
        "--ssh-only", "--latency-ms", str(args.latency_ms), "--base-port", str(args.base_port),
        "--inventory-out", str(inventory),
    )  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
    return time.perf_counter() - start


def lab_down(state: Path) -> None:
    subprocess.run(pixfix_cli("lab", "--state-dir", str(state), "down"), capture_output=True,
                   timeout=120, check=False)  # fmt: skip


# -- timing one tool, as its own process -------------------------------------------------------
def timed(tool: str, command: list[str]) -> Run:
    """Wall-clock seconds and the peak RSS of exactly this child (from wait4's rusage)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if child.returncode not in (0, 1):  # audit: 1 means "some device exposed"
        raise RuntimeError(f"{tool} exited {child.returncode}")
    return Run(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024, stdout=text)


def tool_command(tool: str, inventory: Path, workers: int) -> list[str]:
    if tool == "pixfix":
        return pixfix_cli("audit", "-i", str(inventory), "--format", "json", "-q",
                          "--workers", str(workers))  # fmt: skip
    client = [sys.executable, __file__, "--client", tool, "--inventory", str(inventory)]
    return [*client, "--workers", str(workers)]


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


# -- the baselines (run as `--client nornir|bare`) ---------------------------------------------
def load_hosts(inventory: Path) -> tuple[dict[str, Any], dict[str, str]]:
    data = yaml.safe_load(inventory.read_text())
    return data["hosts"], data["defaults"]


def nornir_client(inventory: Path, workers: int) -> dict[str, dict[str, str]]:
    """Nornir's threaded runner, nornir_netmiko's `netmiko_send_command`, netmiko defaults."""
    from nornir.core import Nornir
    from nornir.core.inventory import ConnectionOptions, Defaults, Groups, Host, Hosts, Inventory
    from nornir.core.plugins.connections import ConnectionPluginRegister
    from nornir.core.task import Task
    from nornir.plugins.runners import ThreadedRunner
    from nornir_netmiko.tasks import netmiko_send_command

    ConnectionPluginRegister.auto_register()  # what InitNornir does
    hosts, creds = load_hosts(inventory)
    options = {"netmiko": ConnectionOptions(extras={"secret": creds["secret"]})}
    inv = Inventory(
        hosts=Hosts({
            name: Host(name=name, hostname=h["host"], port=h["port"], username=creds["username"],
                       password=creds["password"], platform="cisco_asa",
                       connection_options=options)
            for name, h in hosts.items()
        }),
        groups=Groups(),
        defaults=Defaults(),
    )  # fmt: skip

    def reads(task: Task) -> None:
        for command in READS:
            task.run(task=netmiko_send_command, command_string=command, enable=True, name=command)

    nornir = Nornir(inventory=inv, runner=ThreadedRunner(num_workers=workers))
    outcome = nornir.run(task=reads)
    nornir.close_connections()
    out: dict[str, dict[str, str]] = {}
    for name, multi in outcome.items():
        if multi.failed:
            out[name] = {"error": str(multi[0].exception or multi[-1].exception)}
        else:
            out[name] = {r.name: str(r.result) for r in multi[1:]}
    return out


def bare_client(inventory: Path, workers: int) -> dict[str, dict[str, str]]:
    """One paramiko shell per device, W threads: each exchange ends at its prompt, no sleeps."""
    hosts, creds = load_hosts(inventory)

    def one(item: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, str]]:
        name, host = item
        try:
            return name, bare_device(host, creds)
        except Exception as exc:  # every device gets an outcome
            return name, {"error": f"{type(exc).__name__}: {exc}"}

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, hosts.items()))


def bare_device(host: dict[str, Any], creds: dict[str, str]) -> dict[str, str]:
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host["host"], port=host["port"], username=creds["username"],
                   password=creds["password"], look_for_keys=False, allow_agent=False,
                   timeout=30)  # fmt: skip
    try:
        shell = Shell(client.invoke_shell(width=511, height=1000))
        _, found = shell.expect(r"\n([\w./-]+)> ?$")
        done = rf"\n{re.escape(found.group(1))}# ?$"
        shell.send("enable", r"ssword: ?$")
        shell.send(creds["secret"], done)
        shell.send("terminal pager 0", done)
        return {command: shell.reply(command, done) for command in READS}
    finally:
        client.close()


class Shell:
    """Blocking reads on a paramiko channel until a pattern ends the received text."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.buffer = ""
        channel.settimeout(30)

    def expect(self, pattern: str) -> tuple[str, re.Match[str]]:
        """The text before the match, and the match; what follows it stays buffered."""
        regex = re.compile(pattern)
        while (found := regex.search(self.buffer)) is None:
            data = self.channel.recv(65536)
            if not data:
                raise EOFError("channel closed")
            self.buffer += data.decode("utf-8", "replace").replace("\r\n", "\n")
        before, self.buffer = self.buffer[: found.start()], self.buffer[found.end() :]
        return before, found

    def send(self, line: str, pattern: str) -> str:
        self.channel.sendall(f"{line}\n".encode())
        return self.expect(pattern)[0]

    def reply(self, command: str, prompt: str) -> str:
        """The lines between the echoed command and the prompt."""
        before = self.send(command, prompt)
        return before.split(command, 1)[1].partition("\n")[2]


# -- the benchmark -----------------------------------------------------------------------------
def measure(inventory: Path, args: argparse.Namespace) -> dict[str, list[Run]]:
    """Each tool `repeats` times, interleaved (the order rotates) so drift hits all alike."""
    runs: dict[str, list[Run]] = {tool: [] for tool in TOOLS}
    for index in range(args.repeats):
        order = TOOLS[index % 3 :] + TOOLS[: index % 3]
        for tool in order:
            run = timed(tool, tool_command(tool, inventory, args.workers))
            runs[tool].append(run)
            print(f"  repeat {index + 1} {tool}: {run.seconds:.2f} s", file=sys.stderr)
    return runs


def check(runs: dict[str, list[Run]], names: set[str]) -> dict[str, Any]:
    """Every device accounted for, and the baselines found the same results as pixfix."""
    reference = results_of_pixfix(runs["pixfix"][0].stdout)
    report: dict[str, Any] = {"missing": sorted(names - set(reference))}
    report["errors"] = sorted(n for n, r in reference.items() if r["status"] == "error")
    again = [differences(reference, results_of_pixfix(r.stdout)) for r in runs["pixfix"][1:]]
    report["pixfix_unstable"] = sorted({n for diff in again for n in diff})
    for tool in ("nornir", "bare"):
        found = [differences(reference, results_of_replies(r.stdout)) for r in runs[tool]]
        report[f"{tool}_differs"] = sorted({n for diff in found for n in diff})
    return report


def summary(runs: dict[str, list[Run]], args: argparse.Namespace) -> dict[str, Any]:
    median = {tool: statistics.median(r.seconds for r in runs[tool]) for tool in TOOLS}
    return {
        "devices": args.devices,
        "latency_ms": args.latency_ms,
        "workers": args.workers,
        "pixfix_s": round(median["pixfix"], 3),
        "nornir_s": round(median["nornir"], 3),
        "bare_s": round(median["bare"], 3),
        "ratio_nornir": round(median["pixfix"] / median["nornir"], 3),
        "ratio_bare": round(median["pixfix"] / median["bare"], 3),
    }


def print_table(line: dict[str, Any], runs: dict[str, list[Run]], report: dict[str, Any],
                lab_seconds: float) -> None:  # fmt: skip
    out = sys.stderr
    print(f"\n{line['devices']} devices, {line['latency_ms']} ms, {line['workers']} workers "
          f"(lab up: {lab_seconds:.2f} s)", file=out)  # fmt: skip
    print(f"{'tool':<8} {'median s':>9} {'runs s':<24} {'peak RSS MB':>11}", file=out)
    for tool in TOOLS:
        seconds = " ".join(f"{r.seconds:.2f}" for r in runs[tool])
        rss = max(r.peak_rss_mb for r in runs[tool])
        print(f"{tool:<8} {line[tool + '_s']:>9.3f} {seconds:<24} {rss:>11.0f}", file=out)
    print(f"pixfix/nornir {line['ratio_nornir']:.2f}   pixfix/bare {line['ratio_bare']:.2f}",
          file=out)  # fmt: skip
    shown = {key: names[:5] + ([f"... {len(names)} in all"] if len(names) > 5 else [])
             for key, names in report.items()}  # fmt: skip
    print(f"checks: {json.dumps(shown)}", file=out)


def benchmark(args: argparse.Namespace) -> int:
    if not ports_free(args.base_port, args.devices):
        print(f"ports {args.base_port}+{args.devices} or their SMTP block are taken: "
              "choose --base-port", file=sys.stderr)  # fmt: skip
        return 2
    with tempfile.TemporaryDirectory(prefix="pixfix-bench-") as tmp:
        state, inventory = Path(tmp) / "state", Path(tmp) / "inventory.yaml"
        try:
            lab_seconds = lab_up(state, inventory, args)
            names = set(load_hosts(inventory)[0])
            runs = measure(inventory, args)
        finally:
            lab_down(state)
    report = check(runs, names)
    line = summary(runs, args)
    print_table(line, runs, report, lab_seconds)
    if args.json:
        print(json.dumps(line))
    return 0 if not any(report[k] for k in report) else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base-port", type=int, default=10022)
    parser.add_argument("--json", action="store_true", help="print one JSON line on stdout")
    parser.add_argument("--client", choices=("nornir", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--inventory", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.client:
        run: Callable[[Path, int], dict[str, dict[str, str]]] = (
            nornir_client if args.client == "nornir" else bare_client
        )
        print(json.dumps(run(args.inventory, args.workers)))
        return 0
    return benchmark(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
