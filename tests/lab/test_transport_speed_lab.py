"""The fast session keeps every reply whole: at 0 ms and 200 ms latency, on slow devices, over
SSH and telnet, and an audit still enters configuration mode zero times.

Each lab runs the default fleet plus a 3,000-line ASA and two slow devices (one slower than
`NUDGE_SECONDS`, so the session also presses Enter once and must skip the extra prompt). The
expected text of every reply comes from the lab's own renderer, so a lost or repeated line, or a
reply cut at a line that merely starts with the hostname, fails the comparison.
Each lab (0 ms and 200 ms) takes free ports.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixfix.audit.live import CollectOptions, collect_host
from pixfix.errors import AuthError
from pixfix.inventory.load import Host, load_inventory
from pixfix.lab import render
from pixfix.lab.device import Device
from pixfix.lab.fleet import FleetOptions, build_devices, load_devices_file
from pixfix.model import Status
from pixfix.parse.config import parse_show_version
from pixfix.platforms import FACTS
from pixfix.transport.connect import open_session, show, show_many
from pixfix.transport.session import NUDGE_SECONDS, Session

pytestmark = pytest.mark.timeout(240)

NL = "\r\n"
SLOW_MS = {"lab-asa-slow": int(NUDGE_SECONDS * 1000) + 500, "lab-pix63-slow": 800}
BIG_LINES = 3000


def _packaged(path: str) -> str:
    return resources.files("pixfix.lab").joinpath(path).read_text()


def _renamed(path: str, name: str) -> str:
    return re.sub(r"(?m)^hostname \S+", f"hostname {name}", _packaged(path))


def _big_config() -> str:
    rules = [f"access-list BIG extended permit tcp any host 10.{i // 250}.{i % 250}.1 eq smtp"
             for i in range(BIG_LINES)]  # fmt: skip
    base = _renamed("configs/lab-asa98-iface.cfg", "lab-asa-big").splitlines()
    at = next(i for i, line in enumerate(base) if line.startswith("policy-map"))
    return "\n".join([*base[:at], *rules, *base[at:]]) + "\n"


def _devices_file(folder: Path) -> Path:
    """The default fleet (config paths resolved into the package) plus big and slow devices."""
    fleet = yaml.safe_load(_packaged("default_fleet.yaml"))["devices"]
    root = Path(str(resources.files("pixfix.lab")))
    for spec in fleet:
        spec["startup_config"] = str(root / spec["startup_config"])
        spec["contexts"] = {k: str(root / v) for k, v in spec.get("contexts", {}).items()}
    fleet += [
        {"name": "lab-asa-big", "software": "ASA 9.8(4)", "config": _big_config()},
        {"name": "lab-asa-slow", "software": "ASA 9.16(4)",
         "config": _renamed("configs/lab-asa916-clean.cfg", "lab-asa-slow"),
         "faults": {"slow_ms": SLOW_MS["lab-asa-slow"]}},
        {"name": "lab-pix63-slow", "software": "PIX 6.3(5)", "transport": "telnet",
         "config": _renamed("configs/lab-pix63.cfg", "lab-pix63-slow"),
         "faults": {"slow_ms": SLOW_MS["lab-pix63-slow"]}},
    ]  # fmt: skip
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump({"devices": fleet}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def devices_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _devices_file(tmp_path_factory.mktemp("speed-fleet"))


@pytest.fixture(scope="module", params=[0, 200], ids=["0ms", "200ms"])
def lab(request: pytest.FixtureRequest, lab_factory: Any, devices_file: Path) -> Any:
    return lab_factory("--devices-file", str(devices_file), "--latency-ms",
                       str(request.param))  # fmt: skip


@pytest.fixture(scope="module")
def reference(devices_file: Path) -> dict[str, Device]:
    """The lab's devices as built from the same file: the renderer gives every expected reply."""
    specs, folder = load_devices_file(devices_file)
    return {d.name: d for d in build_devices(specs, folder, FleetOptions(base_port=40000))}


def expected(device: Device, command: str, context: str | None = None) -> str:
    ctx = device.login_context() if context is None else context
    text = {
        "show version": lambda: render.show_version(device, ctx),
        "show failover": lambda: render.show_failover(device),
        "show running-config": lambda: render.config_text(device, ctx, startup=False),
        "write terminal": lambda: (
            "Building configuration..."
            + NL
            + render.config_text(device, ctx, startup=False)
            + NL
            + "[OK]"
        ),
    }[command]()
    return text.replace(NL, "\n")


def _reads(session: Session) -> dict[str, str]:
    """What an audit reads, sent as collect sends it (together when the session pipelines)."""
    version = show(session, "show version")
    config = FACTS[parse_show_version(version).train].config_command
    replies = show_many(session, ["show failover", config, "show version"])
    return {"show version": version, "show failover": replies[0], config: replies[1],
            "again": replies[2]}  # fmt: skip


def _single_context(reference: dict[str, Device]) -> list[str]:
    return [name for name, device in reference.items() if not device.multi_context]


def _timeout(name: str) -> float:
    return 20.0 if name in SLOW_MS else 10.0


def test_every_reply_is_whole_on_every_device(lab: Any, reference: dict[str, Device]) -> None:
    def read(name: str) -> tuple[str, dict[str, str]]:
        with open_session(lab.params(name, timeout=_timeout(name))) as session:
            return name, _reads(session)

    names = _single_context(reference)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        got = dict(pool.map(read, names))
    for name in names:
        device = reference[name]
        for command, text in got[name].items():
            want = expected(device, "show version" if command == "again" else command)
            assert text == want, f"{name}: {command}"


def test_big_configuration_arrives_whole(lab: Any, reference: dict[str, Device]) -> None:
    with open_session(lab.params("lab-asa-big")) as session:
        text = show(session, "show running-config")
    assert text == expected(reference["lab-asa-big"], "show running-config")
    assert text.count("access-list BIG ") == BIG_LINES


def _hosts(lab: Any) -> dict[str, Host]:
    return {h.name: h for h in load_inventory(lab.inventory).hosts}


def test_every_context_is_read_whole(lab: Any, reference: dict[str, Device]) -> None:
    collected = collect_host(_hosts(lab)["lab-asa-multi"], CollectOptions(timeout=10))
    device = reference["lab-asa-multi"]
    assert [c.result.context for c in collected] == device.user_contexts
    for item in collected:
        assert item.config == expected(device, "show running-config", item.result.context)


def test_audit_accounts_for_every_device_and_never_enters_config_mode(
    lab: Any, reference: dict[str, Device]
) -> None:
    before = lab.status()
    run = lab.cli("audit", "-i", str(lab.inventory), "--format", "json", "--workers", "16",
                  "--timeout", "20", check=False)  # fmt: skip
    assert run.returncode == 1, run.stderr  # exposed devices, none in error
    results = json.loads(run.stdout)["devices"]
    assert {r["name"] for r in results} == set(reference)
    assert all(r["status"] != Status.ERROR.value for r in results), results
    after = lab.status()
    for name in reference:
        assert after[name]["config_sessions"] == before[name]["config_sessions"], name
        assert after[name]["logins"] == before[name]["logins"] + 1, name


def test_netmiko_calls_still_work_after_the_fast_login(lab: Any) -> None:
    """apply uses netmiko's own methods on the same session: they must find it in step."""
    before = lab.status()["lab-asa916-clean"]["config_sessions"]
    with open_session(lab.params("lab-asa916-clean")) as session:
        assert session.find_prompt() == "lab-asa916-clean#"
        assert session.send_command("show failover") == show(session, "show failover")
        session.send_config_set(["terminal width 511"])
        assert not session.check_config_mode()
        assert show(session, "show failover").startswith("Failover Off")
    assert lab.status()["lab-asa916-clean"]["config_sessions"] == before + 1


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("lab-asa84", {"secret": "wrong-secret"}),
        ("lab-asa84", {"password": "wrong-password"}),
        ("lab-pix63", {"password": "wrong-password"}),
    ],
)
def test_refused_credentials_are_auth_errors(lab: Any, name: str, change: dict[str, str]) -> None:
    with pytest.raises(AuthError), open_session(lab.params(name, **change)):
        pass
