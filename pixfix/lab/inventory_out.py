"""The inventory (and known-hosts file) describing a running lab, in pixfix's inventory format."""

from __future__ import annotations

from importlib import resources

from pixfix.lab.device import Device
from pixfix.lab.fleet import LAB_CREDENTIALS

HEADER = """\
# Inventory of the pixfix simulated fleet (`pixfix lab up`). The credentials are the lab's own
# fake ones, written inline on purpose; a real inventory takes them from the environment.
"""


def lab_public_key() -> str:
    text = resources.files("pixfix.lab").joinpath("keys/ssh_host_rsa_key.pub").read_text()
    return " ".join(text.split()[:2])


def known_hosts_text(devices: list[Device], host: str = "127.0.0.1") -> str:
    key = lab_public_key()
    return "".join(f"[{host}]:{d.port} {key}\n" for d in devices if d.transport == "ssh")


def inventory_text(devices: list[Device], *, known_hosts: str, host: str = "127.0.0.1") -> str:
    """YAML text; written by hand (not yaml.dump) so it reads like the committed lab.yaml."""
    creds = LAB_CREDENTIALS
    lines = [
        HEADER.rstrip("\n"),
        f"known_hosts: {known_hosts}",
        "defaults:",
        f"  username: {creds.username}",
        f"  password: {creds.password}",
        f"  secret: {creds.secret}",
        "hosts:",
    ]
    for d in devices:
        platform = d.train.product.lower()
        lines.append(
            f"  {d.name}: {{host: {host}, port: {d.port}, transport: {d.transport}, "
            f'platform: {platform}, mx: "{host}:{d.smtp_port}"}}'
        )
    return "\n".join(lines) + "\n"
