"""SSH host keys against the lab (verified, unknown, trusted-new and changed keys) and jump hosts.

Every run gets its own HOME and XDG_CONFIG_HOME, so `~/.ssh/known_hosts` and pixfix's own
known-hosts file (`$XDG_CONFIG_HOME/pixfix/known_hosts`) are the test's (pixfix.transport.hostkeys:
a verifying paramiko policy, several known-hosts files, fingerprints in the messages;
`--known-hosts` and `--trust-new-keys` on audit).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import asyncssh
import pytest
import yaml

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory("--devices", "2", "--ssh-only")


def _lab_key() -> tuple[str, str]:
    """The lab's public key line (type, base64) and its OpenSSH SHA256 fingerprint."""
    text = resources.files("pixfix.lab").joinpath("keys/ssh_host_rsa_key.pub").read_text()
    kind, blob = text.split()[:2]
    digest = hashlib.sha256(base64.b64decode(blob)).digest()
    return f"{kind} {blob}", "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _other_key() -> tuple[str, str]:
    key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    line = key.export_public_key("openssh").decode().split()
    blob = base64.b64decode(line[1])
    return f"{line[0]} {line[1]}", "SHA256:" + base64.b64encode(
        hashlib.sha256(blob).digest()
    ).decode().rstrip("=")


def _known_hosts(lab: Any, path: Path, key: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"[{h['host']}]:{h['port']} {key}\n" for h in lab.hosts.values()))
    return path


def _inventory(lab: Any, folder: Path, known_hosts: str | None) -> Path:
    """The lab's inventory, with its own `known_hosts` (or none at all)."""
    document = yaml.safe_load(lab.inventory.read_text())
    document.pop("known_hosts", None)
    if known_hosts is not None:
        document["known_hosts"] = known_hosts
    path = folder / "inventory.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _audit(lab: Any, home: Path, inventory: Path, *extra: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "PIXFIX_LAB_DIR": str(lab.state_dir),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pixfix", "audit", "-i", str(inventory), "--format", "json",
         "--timeout", "10", *extra],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode in (0, 1, 3), run.stderr
    return {d["name"]: d for d in json.loads(run.stdout)["devices"]}


def _errors(devices: dict[str, Any]) -> list[str]:
    return [d["error"] or "" for d in devices.values() if d["status"] == "error"]


def test_the_lab_inventory_verifies_against_the_labs_stable_keys(lab: Any, tmp_path: Path) -> None:
    devices = _audit(lab, tmp_path, lab.inventory)
    assert _errors(devices) == []
    assert len(devices) == 2


def test_a_changed_key_is_refused(lab: Any, tmp_path: Path) -> None:
    _known_hosts(lab, tmp_path / "inv" / "kh", _other_key()[0])
    devices = _audit(lab, tmp_path, _inventory(lab, tmp_path / "inv", "kh"))
    errors = _errors(devices)
    assert len(errors) == 2
    assert all(error.startswith("host key changed for 127.0.0.1:") for error in errors), errors


def test_a_changed_key_names_the_old_and_the_new_fingerprint(lab: Any, tmp_path: Path) -> None:
    other, old = _other_key()
    _known_hosts(lab, tmp_path / "inv" / "kh", other)
    devices = _audit(lab, tmp_path, _inventory(lab, tmp_path / "inv", "kh"))
    _, new = _lab_key()
    for error in _errors(devices):
        assert f"expected ssh-rsa {old}, got ssh-rsa {new}" in error


def test_an_unknown_key_fails_the_device_with_its_fingerprint(lab: Any, tmp_path: Path) -> None:
    (tmp_path / "inv").mkdir()
    devices = _audit(lab, tmp_path, _inventory(lab, tmp_path / "inv", None))
    _, fingerprint = _lab_key()
    errors = _errors(devices)
    assert len(errors) == 2
    for error in errors:
        assert error.startswith("host key unknown for 127.0.0.1:")
        assert f"ssh-rsa {fingerprint}" in error
        assert "--trust-new-keys" in error
    assert not (tmp_path / "config" / "pixfix" / "known_hosts").exists()


def test_trust_new_keys_records_them_in_pixfixs_own_file(lab: Any, tmp_path: Path) -> None:
    (tmp_path / "inv").mkdir()
    inventory = _inventory(lab, tmp_path / "inv", None)
    assert _errors(_audit(lab, tmp_path, inventory, "--trust-new-keys")) == []
    own = tmp_path / "config" / "pixfix" / "known_hosts"
    key, _ = _lab_key()
    assert sorted(own.read_text().splitlines()) == sorted(
        f"[{h['host']}]:{h['port']} {key}" for h in lab.hosts.values()
    )
    assert own.stat().st_mode & 0o777 == 0o600
    assert _errors(_audit(lab, tmp_path, inventory)) == []  # known now, no flag needed


def test_the_users_known_hosts_is_a_source(lab: Any, tmp_path: Path) -> None:
    (tmp_path / "inv").mkdir()
    inventory = _inventory(lab, tmp_path / "inv", None)
    _known_hosts(lab, tmp_path / ".ssh" / "known_hosts", _lab_key()[0])
    assert _errors(_audit(lab, tmp_path, inventory)) == []
    _known_hosts(lab, tmp_path / ".ssh" / "known_hosts", _other_key()[0])
    errors = _errors(_audit(lab, tmp_path, inventory))
    assert len(errors) == 2
    assert all(error.startswith("host key changed") for error in errors)


def test_known_hosts_option_replaces_every_other_source(lab: Any, tmp_path: Path) -> None:
    _known_hosts(lab, tmp_path / "inv" / "kh", _other_key()[0])  # the inventory's: wrong
    good = _known_hosts(lab, tmp_path / "elsewhere" / "kh", _lab_key()[0])
    inventory = _inventory(lab, tmp_path / "inv", "kh")
    assert _errors(_audit(lab, tmp_path, inventory, "--known-hosts", str(good))) == []


# ---- jump hosts: the inventory's ssh_config, as netmiko reads it ------------------------------

_RELAY = """\
import os, socket, sys, threading
marker, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(marker, "a") as out:
    out.write(f"{host}:{port}\\n")
upstream = socket.create_connection((host, port))
def up():
    while data := os.read(0, 65536):
        upstream.sendall(data)
    upstream.shutdown(socket.SHUT_WR)
threading.Thread(target=up, daemon=True).start()
while data := upstream.recv(65536):
    os.write(1, data)
"""


def _jump_config(lab: Any, folder: Path) -> tuple[Path, Path]:
    """An OpenSSH config sending every lab device through a ProxyCommand relay (a TCP relay
    that notes each connection it carries), with the device names as aliases."""
    relay, marker = folder / "relay.py", folder / "relayed"
    relay.write_text(_RELAY)
    config = folder / "jump.cfg"
    config.write_text(
        "".join(
            f"Host {name}\n  HostName {h['host']}\n  Port {h['port']}\n"
            f"  ProxyCommand {sys.executable} {relay} {marker} %h %p\n"
            for name, h in lab.hosts.items()
        )
    )
    return config, marker


def test_an_audit_goes_through_the_jump_host_of_its_ssh_config(lab: Any, tmp_path: Path) -> None:
    folder = tmp_path / "inv"
    folder.mkdir()
    config, marker = _jump_config(lab, folder)
    document = yaml.safe_load(lab.inventory.read_text())
    document["known_hosts"] = str(lab.inventory.with_name(f"{lab.inventory.stem}_known_hosts"))
    document["defaults"]["ssh_config"] = config.name  # relative to the inventory
    for name, host in document["hosts"].items():
        host["host"] = name  # an alias only the ssh_config resolves
    inventory = folder / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(document))
    devices = _audit(lab, tmp_path, inventory)
    assert _errors(devices) == []
    assert sorted(marker.read_text().split()) == sorted(
        f"{h['host']}:{h['port']}" for h in lab.hosts.values()
    )


def test_a_missing_ssh_config_fails_the_device_instead_of_going_direct(
    lab: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "inv"
    folder.mkdir()
    document = yaml.safe_load(lab.inventory.read_text())
    document["known_hosts"] = str(lab.inventory.with_name(f"{lab.inventory.stem}_known_hosts"))
    document["defaults"]["ssh_config"] = "absent.cfg"
    inventory = folder / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(document))
    errors = _errors(_audit(lab, tmp_path, inventory))
    assert len(errors) == 2
    assert all("absent.cfg: no such file" in error for error in errors), errors
