"""Which devices a lab runs: the default fleet, a devices file, or a generated fleet.

A devices file is YAML: `devices:` a list of `{name, software, transport, startup_config |
config, contexts, mx_context, failover, faults, port}`; relative file paths resolve against the
devices file's folder. `--devices N` generates a seeded, reproducible mix of trains and states.

A failover unit (`failover: active|standby`) of a PIX 7+/ASA/FWSM 3 train whose configuration
has no `prompt` line gets `prompt hostname priority state` added after `hostname`: its prompt
then shows its role (`fw/pri/act#`), so a fail-over during a change (`failover_after_config`)
turns it into `fw/pri/stby#` as on a pair set up that way. PIX <= 6.3 has no `prompt` command:
there the role shows only in `show failover`.

`failover: pair` builds two units of one train (see `_pair`): NAME on the pair's address and
NAME-stby on its standby address. Every configuration command and `write memory` on the active
unit is replicated to the mate; when the active unit fails over (`failover_after_config`, or a
reload) the addresses move with the roles and the sessions on them are cut, as a TCP session to
a moved address is; a reloaded unit rejoins as standby with the active unit's configuration.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pixfix.errors import LabError
from pixfix.lab import cfgtree
from pixfix.lab.device import (
    SINGLE,
    SYSTEM,
    ContextConfig,
    Credentials,
    Device,
    Faults,
    checksum_of,
    parse_startup,
    replicated,
)
from pixfix.lab.trains import Family, Train, train_for

# The lab's fake credentials: distinctive strings so tests can search output for leaks.
LAB_CREDENTIALS = Credentials(
    username="labuser-4b1d",
    password="labpass-7f3a",  # noqa: S106
    secret="labenable-92ce",  # noqa: S106
)
ROLE_PROMPT = "prompt hostname priority state"
DEFAULT_BASE_PORT = 10022
SMTP_OFFSET = 5000
MAX_DEVICES = 5000
MATE_SUFFIX = "-stby"  # name of a pair's secondary unit (and its standby address)


class FaultsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refuse: bool = False
    silent: bool = False
    wrong_credentials: bool = False
    slow_ms: int = Field(default=0, ge=0)
    drop_after_config: int | None = Field(default=None, ge=1)
    write_fails: bool = False
    failover_after_config: int | None = Field(default=None, ge=1)
    unauthorized_command: str | None = None
    replication_after_save: bool = False
    changeto_refused: str | None = None
    reload_question: str | None = None
    pause_at: str | None = None
    huge_output: bool = False
    endless_pager: bool = False
    bad_utf8: bool = False
    ansi: bool = False
    no_prompt: bool = False


class DeviceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    software: str
    transport: str = Field(default="ssh", pattern="^(ssh|telnet)$")
    startup_config: str | None = None
    config: str | None = None
    contexts: dict[str, str] = Field(default_factory=dict)
    mx_context: str | None = None
    failover: str | None = Field(default=None, pattern="^(active|standby|active-active|pair)$")
    reporting_prompt: bool = False  # first `configure terminal` asks the reporting question
    faults: FaultsSpec = Field(default_factory=FaultsSpec)
    port: int | None = Field(default=None, ge=1, le=65535)


class DevicesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    devices: list[DeviceSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetOptions:
    base_port: int = DEFAULT_BASE_PORT
    ssh_only: bool = False
    boot_seconds: float = 2.0
    minute_seconds: float = 60.0
    faults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def default_specs() -> tuple[list[DeviceSpec], Path]:
    """The committed default fleet and the folder its config paths are relative to."""
    folder = Path(str(resources.files("pixfix.lab")))
    return _load_specs(folder / "default_fleet.yaml"), folder


def load_devices_file(path: Path) -> tuple[list[DeviceSpec], Path]:
    return _load_specs(path), path.parent


def _load_specs(path: Path) -> list[DeviceSpec]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        specs = DevicesFile.model_validate(data).devices
    except OSError as exc:
        raise LabError(f"{path}: cannot read devices file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise LabError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from exc
    except ValidationError as exc:
        raise LabError(f"{path}: {_first_problem(exc)}") from exc
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise LabError(f"{path}: device names must be unique")
    return specs


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"{exc.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(exc).splitlines()[0]


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "top level"
    return f"{where}: {first['msg']}"


def generated_specs(count: int, *, ssh_only: bool, seed: int = 7) -> tuple[list[DeviceSpec], Path]:
    """A reproducible mix of the default fleet's single-context trains and states."""
    if not 1 <= count <= MAX_DEVICES:
        raise LabError(f"--devices: must be 1-{MAX_DEVICES} (got {count})")
    base, folder = default_specs()
    pool = [s for s in base if not s.contexts and s.failover is None and not s.reporting_prompt]
    if ssh_only:
        pool = [s for s in pool if s.transport == "ssh"]
    rng = random.Random(seed)
    specs = []
    for index in range(count):
        template = rng.choice(pool)
        assert template.startup_config is not None
        text = (folder / template.startup_config).read_text(encoding="utf-8")
        name = f"lab-gen{index + 1:04d}"
        text = re.sub(r"(?m)^hostname \S+", f"hostname {name}", text)
        specs.append(
            template.model_copy(update={"name": name, "startup_config": None, "config": text})
        )
    return specs, folder


def build_devices(specs: list[DeviceSpec], folder: Path, options: FleetOptions) -> list[Device]:
    devices: list[Device] = []
    for spec in specs:
        if spec.failover == "pair":
            devices += _pair(spec, folder, options, len(devices))
        else:
            devices.append(_build(spec, folder, options, len(devices)))
    names = [d.name for d in devices]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})[0]
        raise LabError(f"device name {twice!r} is used twice (a pair's mate is NAME{MATE_SUFFIX})")
    unknown = set(options.faults) - {d.name for d in devices}
    if unknown:
        raise LabError(f"--fault: no device named {sorted(unknown)[0]!r} in this fleet")
    ports = [d.port for d in devices] + [d.smtp_port for d in devices]
    if len(set(ports)) != len(ports) or max(ports) > 65535:
        raise LabError("ports overlap or exceed 65535: choose another --base-port")
    return devices


def _build(spec: DeviceSpec, folder: Path, options: FleetOptions, index: int) -> Device:
    try:
        train = train_for(spec.software)
    except KeyError as exc:
        raise LabError(f"device {spec.name!r}: {exc.args[0]}") from exc
    if options.ssh_only and spec.transport != "ssh":
        raise LabError(f"device {spec.name!r}: --ssh-only given but transport is {spec.transport}")
    contexts = _contexts(spec, folder, train)
    if spec.failover == "active-active" and SYSTEM not in contexts:
        raise LabError(f"device {spec.name!r}: active/active failover needs multiple contexts")
    if spec.failover in ("active", "standby") and train.family is Family.MPF:
        main = SYSTEM if SYSTEM in contexts else SINGLE
        contexts[main] = _ctx_lines(_with_role_prompt(contexts[main].startup))
    faults = _faults(spec, options)
    if faults.failover_after_config is not None and spec.failover not in ("active", "pair"):
        raise LabError(
            f"device {spec.name!r}: failover_after_config needs an active failover unit "
            "(failover: active, or pair)"
        )
    port = spec.port or options.base_port + index
    return Device(
        name=spec.name,
        train=train,
        transport=spec.transport,
        port=port,
        smtp_port=options.base_port + SMTP_OFFSET + index,
        credentials=LAB_CREDENTIALS,
        contexts=contexts,
        faults=faults,
        failover=spec.failover,
        reporting_prompt=spec.reporting_prompt and train.family is Family.MPF,
        unit="Secondary" if spec.failover == "standby" else "Primary",
        mx_context=_mx_context(spec, contexts),
        boot_seconds=options.boot_seconds,
        minute_seconds=options.minute_seconds,
    )


def _pair(spec: DeviceSpec, folder: Path, options: FleetOptions, index: int) -> list[Device]:
    """Two units sharing the pair's addresses: NAME (the primary unit, active at start) on the
    pair's address, which always reaches the active unit, and NAME-stby (the secondary) on its
    standby address. The entry's faults are the primary's; `--fault NAME-stby:...` the mate's."""
    if spec.port is not None and spec.port >= 65535:
        raise LabError(f"device {spec.name!r}: a pair needs two ports (port and port + 1)")
    primary = _build(spec.model_copy(update={"failover": "active"}), folder, options, index)
    mate_spec = spec.model_copy(
        update={
            "name": spec.name + MATE_SUFFIX,
            "failover": "standby",
            "faults": FaultsSpec(),
            "port": None if spec.port is None else spec.port + 1,
        }
    )
    secondary = _build(mate_spec, folder, options, index + 1)
    for ctx in secondary.contexts.values():  # the one line the units do not share
        ctx.running = ctx.startup = replicated(ctx.startup, secondary)
        ctx.checksum = checksum_of(ctx.startup)
    primary.mate, secondary.mate = secondary, primary
    primary.address_role, secondary.address_role = "active", "standby"
    return [primary, secondary]


def _faults(spec: DeviceSpec, options: FleetOptions) -> Faults:
    """The devices file's faults, overridden by `--fault` flags (checked by the same rules)."""
    merged = spec.faults.model_dump() | dict(options.faults.get(spec.name, {}))
    try:
        return Faults(**FaultsSpec.model_validate(merged).model_dump())
    except ValidationError as exc:
        raise LabError(f"--fault for device {spec.name!r}: {_first_problem(exc)}") from exc


def _mx_context(spec: DeviceSpec, contexts: dict[str, ContextConfig]) -> str:
    if spec.mx_context is None:
        return SINGLE if SINGLE in contexts else next(iter(spec.contexts))
    if spec.mx_context not in spec.contexts:
        raise LabError(f"device {spec.name!r}: mx_context {spec.mx_context!r} is not in contexts")
    return spec.mx_context


def _contexts(spec: DeviceSpec, folder: Path, train: Train) -> dict[str, ContextConfig]:
    main = _config_text(spec, folder, spec.startup_config, spec.config)
    if not spec.contexts:
        return {SINGLE: _ctx(main)}
    if train.family is not Family.MPF:
        raise LabError(f"device {spec.name!r}: {spec.software} has no multiple-context mode")
    out = {SYSTEM: _ctx(main)}
    for name, path in spec.contexts.items():
        out[name] = _ctx(_config_text(spec, folder, path, None))
    return out


def _ctx(text: str) -> ContextConfig:
    return _ctx_lines(parse_startup(text))


def _ctx_lines(lines: cfgtree.Lines) -> ContextConfig:
    return ContextConfig(running=lines, startup=lines)


def _with_role_prompt(lines: cfgtree.Lines) -> cfgtree.Lines:
    """Make a failover unit's prompt show its role (see the module docstring)."""
    if cfgtree.top_blocks(lines, "prompt"):
        return lines
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("hostname ")), len(lines))
    return (*lines[:at], ROLE_PROMPT, *lines[at:])


def _config_text(spec: DeviceSpec, folder: Path, path: str | None, inline: str | None) -> str:
    if inline is not None:
        return inline
    if path is None:
        raise LabError(f"device {spec.name!r}: needs startup_config or config")
    full = folder / path
    try:
        return full.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabError(f"device {spec.name!r}: cannot read {full}: {exc.strerror}") from exc
