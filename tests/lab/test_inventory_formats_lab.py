"""The same lab fleet audited from a pixfix, an Ansible (INI and YAML) and a Nornir inventory.

The lab writes its pixfix inventory; the test writes the other three forms of it, each with a
switch that must be skipped, credentials the way that tool's users keep them, and the lab's
known-hosts file, and checks that `pixfix audit --format json` says exactly the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.timeout(300)

LAB_USER, LAB_PASS, LAB_SECRET = "labuser-4b1d", "labpass-7f3a", "labenable-92ce"
CREDENTIAL_ENV = {"LAB_FW_USER": LAB_USER, "LAB_FW_PASS": LAB_PASS, "LAB_FW_ENABLE": LAB_SECRET}
SWITCH = ("core-sw-01", "192.0.2.201")  # never contacted: skipped as another platform


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory()


def _ansible_ini(hosts: dict[str, dict[str, Any]], folder: Path) -> Path:
    lines = ["[firewalls]"]
    for name, h in hosts.items():
        extra = " pixfix_transport=telnet" if h["transport"] == "telnet" else ""
        lines.append(
            f"{name} ansible_host={h['host']} ansible_port={h['port']} "
            f"pixfix_platform={h['platform']} pixfix_mx={h['mx']}{extra}"
        )
    lines += ["", "[switches]", f"{SWITCH[0]} ansible_host={SWITCH[1]}", "", "[switches:vars]"]
    lines += ["ansible_network_os=cisco.ios.ios", "", "[firewalls:vars]"]
    lines += [
        "ansible_user=\"{{ lookup('env', 'LAB_FW_USER') }}\"",
        "ansible_password=\"{{ lookup('env', 'LAB_FW_PASS') }}\"",
        "ansible_become_password=\"{{ lookup('env', 'LAB_FW_ENABLE') }}\"",
        "pixfix_known_hosts=lab_known_hosts",
    ]
    path = folder / "ansible_hosts"
    path.write_text("\n".join(lines) + "\n")
    return path


def _ansible_yaml(hosts: dict[str, dict[str, Any]], folder: Path) -> Path:
    firewalls = {
        name: {
            "ansible_host": h["host"],
            "ansible_port": h["port"],
            "ansible_network_os": "cisco.asa.asa" if h["platform"] == "asa" else h["platform"],
            "pixfix_mx": h["mx"],
            **({"pixfix_transport": "telnet"} if h["transport"] == "telnet" else {}),
        }
        for name, h in hosts.items()
    }
    document = {
        "all": {
            "vars": {
                "ansible_user": "{{ lookup('env', 'LAB_FW_USER') }}",
                "ansible_password": "{{ lookup('env', 'LAB_FW_PASS') }}",
                "ansible_become_password": "{{ lookup('env', 'LAB_FW_ENABLE') }}",
                "pixfix_known_hosts": "lab_known_hosts",
            },
            "children": {
                "firewalls": {"hosts": firewalls},
                "switches": {
                    "hosts": {SWITCH[0]: {"ansible_host": SWITCH[1]}},
                    "vars": {"ansible_network_os": "cisco.ios.ios"},
                },
            },
        }
    }
    path = folder / "ansible_hosts.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _nornir(hosts: dict[str, dict[str, Any]], folder: Path) -> Path:
    nornir = folder / "nornir"
    nornir.mkdir()
    entries: dict[str, Any] = {
        name: {
            "hostname": h["host"],
            "port": h["port"],
            "platform": "cisco_asa_telnet" if h["transport"] == "telnet" else "cisco_asa",
            "groups": ["firewalls"],
            "data": {"pixfix_mx": h["mx"], "pixfix_platform": h["platform"]},
        }
        for name, h in hosts.items()
    }
    entries[SWITCH[0]] = {"hostname": SWITCH[1], "platform": "cisco_ios"}
    defaults = {
        "data": {"pixfix_username_env": "LAB_FW_USER", "pixfix_password_env": "LAB_FW_PASS"},
        "connection_options": {"netmiko": {"extras": {"secret": LAB_SECRET}}},
    }
    groups = {"firewalls": {"data": {"pixfix_known_hosts": "../lab_known_hosts"}}}
    for name, body in (("hosts", entries), ("groups", groups), ("defaults", defaults)):
        (nornir / f"{name}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    return nornir / "hosts.yaml"


def _audit(lab: Any, inventory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIXFIX_LAB_DIR": str(lab.state_dir), **CREDENTIAL_ENV}
    for name in ("PIXFIX_USERNAME", "PIXFIX_PASSWORD", "PIXFIX_SECRET"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "pixfix", "audit", "-i", str(inventory), "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_native_ansible_and_nornir_inventories_give_identical_audits(lab: Any) -> None:
    folder = lab.inventory.parent
    forms = {
        "pixfix": lab.inventory,
        "ansible-ini": _ansible_ini(lab.hosts, folder),
        "ansible-yaml": _ansible_yaml(lab.hosts, folder),
        "nornir": _nornir(lab.hosts, folder),
    }
    runs = {form: _audit(lab, path) for form, path in forms.items()}
    native = runs.pop("pixfix")
    assert native.returncode == 1, native.stderr  # the lab has exposed devices
    assert '"status": "error"' not in native.stdout
    for form, run in runs.items():
        assert (form, run.returncode) == (form, native.returncode), run.stderr
        assert run.stdout == native.stdout, form
    everything = "".join(r.stdout + r.stderr for r in (native, *runs.values()))
    assert LAB_PASS not in everything
    assert LAB_SECRET not in everything
    assert SWITCH[0] not in "".join(r.stdout for r in runs.values())
    assert lab.status()["lab-asa84"]["logins"] == 4  # one audit per form, nothing more
