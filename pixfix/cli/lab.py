"""`pixfix lab`: start, stop and inspect the simulated fleet."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from pixfix.cli.options import FiniteFloatRange
from pixfix.errors import LabError
from pixfix.lab import control, fleet
from pixfix.lab.device import Device
from pixfix.lab.inventory_out import inventory_text, known_hosts_text
from pixfix.lab.relay import Delay

_FAULT_KINDS = {
    "refuse",
    "silent",
    "wrong_credentials",
    "write_fails",
    "replication_after_save",
} | {
    "huge_output",
    "endless_pager",
    "bad_utf8",
    "ansi",
    "no_prompt",
}
_FAULT_VALUES = {"slow_ms", "drop_after_config", "failover_after_config"}
_FAULT_TEXTS = {"unauthorized_command", "changeto_refused", "reload_question", "pause_at"}


@click.group()
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of the running lab's state (default: $PIXFIX_LAB_DIR or the user's state dir).",
)
@click.pass_context
def lab(ctx: click.Context, state_dir: Path | None) -> None:
    """The simulated PIX/ASA/FWSM fleet on 127.0.0.1 (real SSH and telnet)."""
    ctx.obj = control.LabPaths(folder=state_dir or control.default_state_dir())


@lab.command()
@click.option(
    "--detach", is_flag=True, help="Run in the background; return once every port accepts."
)
@click.option(
    "--devices-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML fleet description.",
)
@click.option("--devices", "count", type=int, help="Generate a fleet of N devices instead.")
@click.option(
    "--ssh-only", is_flag=True, help="Generated fleets: leave out the telnet (PIX <= 6.3) trains."
)
@click.option(
    "--latency-ms", type=click.IntRange(0, 10000), default=0, help="Delay per chunk sent."
)
@click.option("--rtt-ms", type=click.IntRange(1, 10000), default=None,
              help="A relay in front of every port adds this round trip to every chunk "
              "(SSH handshake, login, commands; not the TCP handshake).")  # fmt: skip
@click.option("--jitter-ms", type=click.IntRange(0, 10000), default=0,
              help="With --rtt-ms: each round trip varies by up to +/- this much.")  # fmt: skip
@click.option("--base-port", type=click.IntRange(1024, 60000), default=fleet.DEFAULT_BASE_PORT)
@click.option(
    "--boot-seconds", type=FiniteFloatRange(0, 600), default=2.0, help="Time a reload takes."
)
@click.option("--minute-seconds", type=FiniteFloatRange(0.01, 60), default=60.0,
              help="Length of a lab minute (for `reload in N`).")  # fmt: skip
@click.option("--fault", "faults", multiple=True, metavar="DEVICE:KIND[=N]",
              help="Inject a fault: refuse, silent, wrong_credentials, write_fails, slow_ms=N, "
              "drop_after_config=N, failover_after_config=N, replication_after_save, "
              "unauthorized_command=LINE, changeto_refused=CONTEXT, reload_question=TEXT, "
              "pause_at=COMMAND (its reply waits for `pixfix lab release`); "
              "hostile output: huge_output, "
              "endless_pager, bad_utf8, ansi, no_prompt.")  # fmt: skip
@click.option(
    "--inventory-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write an inventory of this fleet (and its known-hosts file beside it).",
)
@click.pass_obj
def up(paths: control.LabPaths, /, **opts: Any) -> None:
    """Start the fleet (default: the 15-device fleet of inventories/lab.yaml)."""
    rtt = _rtt(opts)
    devices = _devices(opts)
    if opts["inventory_out"]:
        _write_inventory(opts["inventory_out"], devices)
    if opts["detach"]:
        argv = [a for a in sys.argv[1:] if a != "--detach"]
        argv = _strip_option(argv, "--inventory-out")
        start = time.monotonic()
        control.start_detached(argv, paths)
        click.echo(
            f"lab up: {len(devices)} devices in {time.monotonic() - start:.1f} s (log: {paths.log})"
            + _relay_text(control.relay_state(paths))
        )
        return
    control.prepare_folder(paths)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("asyncssh", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _print_table(devices)
    asyncio.run(control.serve(devices, paths, latency_ms=opts["latency_ms"], rtt=rtt))


def _rtt(opts: dict[str, Any]) -> Delay | None:
    if opts["rtt_ms"] is None:
        if opts["jitter_ms"]:
            raise LabError("--jitter-ms needs --rtt-ms")
        return None
    if opts["jitter_ms"] > opts["rtt_ms"]:
        raise LabError("--jitter-ms cannot exceed --rtt-ms")
    return Delay(rtt_ms=opts["rtt_ms"], jitter_ms=opts["jitter_ms"])


def _relay_text(relay: dict[str, float]) -> str:
    if not relay:
        return ""
    jitter = f" +/- {relay['jitter_ms']:g}" if relay.get("jitter_ms") else ""
    return f"; relay RTT {relay['rtt_ms']:g}{jitter} ms, measured {relay['measured_rtt_ms']:g} ms"


def _strip_option(argv: list[str], name: str) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == name:
            skip = True
        elif not arg.startswith(name + "="):
            out.append(arg)
    return out


def _devices(opts: dict[str, Any]) -> list[Device]:
    if opts["devices_file"] and opts["count"] is not None:
        raise LabError("--devices-file and --devices are exclusive")
    if opts["count"] is not None:
        specs, folder = fleet.generated_specs(opts["count"], ssh_only=opts["ssh_only"])
    elif opts["devices_file"]:
        specs, folder = fleet.load_devices_file(opts["devices_file"])
    else:
        specs, folder = fleet.default_specs()
        if opts["ssh_only"]:
            specs = [s for s in specs if s.transport == "ssh"]
    options = fleet.FleetOptions(
        base_port=opts["base_port"],
        ssh_only=opts["ssh_only"],
        boot_seconds=opts["boot_seconds"],
        minute_seconds=opts["minute_seconds"],
        faults=_parse_faults(opts["faults"]),
    )
    return fleet.build_devices(specs, folder, options)


def _parse_faults(items: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name, _, spec = item.partition(":")
        kind, _, value = spec.partition("=")
        if kind in _FAULT_KINDS and not value:
            out.setdefault(name, {})[kind] = True
        elif kind in _FAULT_VALUES and value.isdigit():
            out.setdefault(name, {})[kind] = int(value)
        elif kind in _FAULT_TEXTS and value:
            out.setdefault(name, {})[kind] = value
        else:
            raise LabError(f"--fault {item!r}: expected DEVICE:KIND, DEVICE:KIND=N or KIND=TEXT")
    return out


def _write_inventory(path: Path, devices: list[Device]) -> None:
    known = path.with_name(f"{path.stem}_known_hosts")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        known.write_text(known_hosts_text(devices))
        path.write_text(inventory_text(devices, known_hosts=known.name))
    except OSError as exc:
        raise LabError(f"{path}: cannot write inventory: {exc.strerror}") from exc


def _print_table(devices: list[Device]) -> None:
    click.echo(f"{'device':<18} {'software':<12} {'transport':<9} {'port':>5} {'smtp':>5}")
    for d in devices:
        software = f"{d.train.product} {d.train.version}"
        click.echo(f"{d.name:<18} {software:<12} {d.transport:<9} {d.port:>5} {d.smtp_port:>5}")
    click.echo("serving on 127.0.0.1; Ctrl-C or `pixfix lab down` stops it", err=True)


@lab.command()
@click.pass_obj
def down(paths: control.LabPaths) -> None:
    """Stop a running lab and wait until its ports are free."""
    if control.stop_lab(paths):
        click.echo("lab down")
    else:
        click.echo("no lab is running", err=True)


@lab.command()
@click.argument("device")
@click.pass_obj
def release(paths: control.LabPaths, device: str) -> None:
    """Let DEVICE answer the command its `pause_at` fault holds (exit 1 if none was held)."""
    released = int(control.request(paths, f"release {device}").get("released", 0))
    click.echo(f"{device}: {released} session(s) released")
    if not released:
        sys.exit(1)


@lab.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def status(paths: control.LabPaths, fmt: str) -> None:
    """Counters per device since `up`: logins, config sessions, saves, reloads, SMTP inspection."""
    data = control.request(paths, "status")
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    columns = ("name", "software", "port", "logins", "config_sessions", "saves", "reloads")
    widths = (18, 12, 5, 6, 15, 5, 7)
    click.echo(
        " ".join(f"{c:<{w}}" for c, w in zip(columns, widths, strict=True)) + " smtp_inspection"
    )
    for d in data["devices"]:
        row = " ".join(f"{d[c]!s:<{w}}" for c, w in zip(columns, widths, strict=True))
        click.echo(f"{row} {d['smtp_inspection']}")
