"""Text of the simulated devices' show commands, per train. Pure functions of device state."""

from __future__ import annotations

import zlib

from pixfix.lab.device import SYSTEM, Device
from pixfix.lab.trains import Family

NL = "\r\n"


def _marker(device: Device, context: str) -> str:
    if not device.multi_context:
        return ""
    return " <system>" if context == SYSTEM else " <context>"


def show_version(device: Device, context: str) -> str:
    train = device.train
    lines = [
        "",
        f"{train.show_version_line}{_marker(device, context)}",
    ]
    if train.family is Family.MPF and train.product != "FWSM":
        lines.append(f"Device Manager Version 7.{train.version.split('.')[0]}(1)")
    lines += [
        "",
        f"Compiled on Mon 01-Jan-18 00:00 by builders (simulated {device.name})",
        "",
        f"{device.hostname()} up 12 days 3 hours",
        "",
        f"Hardware:   {train.hardware}",
    ]
    if device.failover is not None:
        lines.append(f"Failover cluster is {'up' if device.failover else 'down'}")
    lines += ["", f"Serial Number: JMX{zlib.crc32(device.name.encode()) % 10**8:08d}", ""]
    return NL.join(lines)


def config_text(device: Device, context: str, *, startup: bool) -> str:
    """`show running-config` / `show startup-config` / `write terminal` as the device prints it."""
    ctx = device.contexts[context]
    body = ctx.startup if startup else ctx.running
    head = [": Saved", ":"]
    if device.train.family is Family.MPF:
        head += [f": Hardware:   {device.train.hardware}", ":"]
    lines = [*head, *body, f"Cryptochecksum:{ctx.checksum}", ": end"]
    return NL.join(lines)


def show_failover(device: Device) -> str:
    if device.failover == "active-active":
        return _active_active()
    if device.failover is None:
        return NL.join(
            ["Failover Off", "Failover unit Primary", "Failover LAN Interface: not Configured"]
        )
    other = "Secondary" if device.unit == "Primary" else "Primary"
    mine = "Active" if device.failover == "active" else "Standby Ready"
    theirs = "Standby Ready" if device.failover == "active" else "Active"
    return NL.join(
        [
            "Failover On",
            f"Failover unit {device.unit}",
            "Failover LAN Interface: folink GigabitEthernet0/3 (up)",
            "Unit Poll frequency 1 seconds, holdtime 15 seconds",
            f"        This host: {device.unit} - {mine}",
            f"        Other host: {other} - {theirs}",
        ]
    )


def _active_active() -> str:
    """The layout of a real active/active unit (tests/fixtures/real/show_failover/asa_7.0.0-79_
    active_active_ntc.raw): this host's state per failover group, then the other host's."""
    return NL.join(
        [
            "Failover On",
            "Failover unit Primary",
            "Failover LAN Interface: folink GigabitEthernet0/3 (up)",
            "Unit Poll frequency 1 seconds, holdtime 15 seconds",
            "Group 1 last failover at: 13:40:18 UTC Dec 9 2024",
            "Group 2 last failover at: 13:40:06 UTC Dec 9 2024",
            " ",
            "This host: Primary",
            "Group 1 State: Active",
            "Active time: 2896 (sec)",
            "Group 2 State: Standby Ready",
            "Active time: 0 (sec)",
            " ",
            "Other host: Secondary",
            "Group 1 State: Standby Ready",
            "Active time: 190 (sec)",
            "Group 2 State: Active",
            "Active time: 3322 (sec)",
        ]
    )


def show_context(device: Device) -> str:
    lines = ["Context Name      Class      Interfaces Mode      URL"]
    for index, name in enumerate(device.user_contexts):
        star = "*" if index == 0 else " "
        lines.append(f"{star}{name:<16} default    Gi0/{index}    Routed    disk0:/{name}.cfg")
    lines.append("")
    lines.append(f"Total active Security Contexts: {len(device.user_contexts)}")
    return NL.join(lines)


def image_name(device: Device) -> str:
    """The unit's software image file, `asa9164-smp-k8.bin` style."""
    digits = device.train.version.replace(".", "").replace("(", "-").rstrip(")")
    return f"asa{digits}-smp-k8.bin"


def show_bootvar(device: Device) -> str:
    """As captured on an ASAv 9.6: the saved BOOT variable names the image by its boot-loader
    path `(hd0,1)/...`, the current one by `disk0:/...` (9.x units here; the 8.x units keep
    `disk0:` in both, which no capture confirms)."""
    image = image_name(device)
    saved = f"(hd0,1)/{image}" if device.train.version.startswith("9.") else f"disk0:/{image}"
    return NL.join(
        [
            f"BOOT variable = {saved}",
            f"Current BOOT variable = disk0:/{image}",
            "CONFIG_FILE variable =",
            "Current CONFIG_FILE variable =",
        ]
    )


def write_memory(device: Device, context: str) -> str:
    ctx = device.contexts[context]
    lines = ["Building configuration..."]
    if device.multi_context and context != SYSTEM:
        lines[0] = (
            f"Building configuration...{NL}Saving context :   {context} : ( 001/001 Contexts saved)"
        )
    lines.append(f"Cryptochecksum: {' '.join(ctx.checksum[i : i + 8] for i in range(0, 32, 8))} ")
    if device.train.family is Family.MPF:
        size = sum(len(line) + 1 for line in ctx.startup)
        lines += ["", f"{size} bytes copied in 0.110 secs"]
    lines.append("[OK]")
    return NL.join(lines)
