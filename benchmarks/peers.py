"""The clients `fleet_audit.py` times against `pixfix audit`, each run as its own process.

    benchmarks/peers.py {nornir,bare,scrapli,asyncssh} --inventory INVENTORY --workers W

Each logs in to every host of a lab inventory (W at a time), enables, turns the pager off,
makes the reads of `pixfix audit` (`READS`) and prints one JSON object on stdout: for every
host, the reply to each read (without echo and prompt), or `{"error": ...}`.

- `nornir`: Nornir's threaded runner and nornir_netmiko's `netmiko_send_command` (default
  netmiko settings, `enable=True`), what many teams run;
- `bare`: one paramiko shell per device in W threads, written as an engineer would: each line
  typed after the prompt of the one before;
- `scrapli`: scrapli 2 (the release pinned in the `dev` extra: libscrapli under a thin Python
  layer), its asyncio API (`open_async`, `send_inputs_async`) on one event loop, platform
  definition `cisco_asa` (its on-open enters privileged mode and sends `terminal pager 0`), and
  its in-process libssh2 transport (faster here than its default, the system `ssh` binary in a
  pty per device); input handling left at its default (each command's echo is read, as pixfix
  does);
- `asyncssh`: the floor: asyncssh on one event loop, W sessions at a time, no threads; after
  the `#` prompt it types `terminal pager 0` and every read at once and splits the replies at
  the prompts, so its CLI part is one round trip, as pixfix's.

Host keys are not checked by the peers (pixfix checks them strictly: a little more CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

# the reads of `pixfix audit` on a single-context ASA: identity, role, running and saved config
READS = ("show version", "show failover", "show running-config", "show startup-config")
PAGER_OFF = "terminal pager 0"
TIMEOUT = 60


def load_hosts(inventory: Path) -> tuple[dict[str, Any], dict[str, str]]:
    data = yaml.safe_load(inventory.read_text())
    return data["hosts"], data["defaults"]


def _error(exc: BaseException) -> dict[str, str]:
    return {"error": f"{type(exc).__name__}: {exc}"}


# -- nornir ------------------------------------------------------------------------------------
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


# -- bare paramiko -----------------------------------------------------------------------------
def bare_client(inventory: Path, workers: int) -> dict[str, dict[str, str]]:
    """One paramiko shell per device, W threads: each exchange ends at its prompt, no sleeps."""
    hosts, creds = load_hosts(inventory)

    def one(item: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, str]]:
        name, host = item
        try:
            return name, bare_device(host, creds)
        except Exception as exc:  # every device gets an outcome
            return name, _error(exc)

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
        shell.send(PAGER_OFF, done)
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


# -- scrapli -----------------------------------------------------------------------------------
def scrapli_client(inventory: Path, workers: int) -> dict[str, dict[str, str]]:
    hosts, creds = load_hosts(inventory)
    return asyncio.run(_bounded(hosts, workers, lambda host: _scrapli_device(host, creds)))


def scrapli_bin_client(inventory: Path, workers: int) -> dict[str, dict[str, str]]:
    """scrapli with its default transport (the system `ssh` in a pty), for comparison."""
    hosts, creds = load_hosts(inventory)
    run = lambda host: _scrapli_device(host, creds, transport="bin")  # noqa: E731
    return asyncio.run(_bounded(hosts, workers, run))


async def _scrapli_device(
    host: dict[str, Any], creds: dict[str, str], transport: str = "ssh2"
) -> dict[str, str]:
    from scrapli import AuthOptions, Cli, LookupKeyValue, TransportBinOptions, TransportSsh2Options

    auth = AuthOptions(
        username=creds["username"],
        password=creds["password"],
        lookups=[LookupKeyValue(key="enable", value=creds["secret"])],
    )
    options: Any = TransportSsh2Options()
    if transport == "bin":
        options = TransportBinOptions(enable_strict_key=False)
    cli = Cli(host["host"], port=host["port"], definition_file_or_name="cisco_asa",
              auth_options=auth, transport_options=options)  # fmt: skip
    await cli.open_async()
    try:
        result = await cli.send_inputs_async(list(READS))
    finally:
        await cli.close_async()
    return {command: _lf(text) for command, text in zip(READS, result.results, strict=True)}


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


# -- bare asyncssh (the floor) -----------------------------------------------------------------
def asyncssh_client(inventory: Path, workers: int) -> dict[str, dict[str, str]]:
    hosts, creds = load_hosts(inventory)
    return asyncio.run(_bounded(hosts, workers, lambda host: _asyncssh_device(host, creds)))


async def _asyncssh_device(host: dict[str, Any], creds: dict[str, str]) -> dict[str, str]:
    import asyncssh

    async with asyncssh.connect(host["host"], port=host["port"], username=creds["username"],
                                password=creds["password"], known_hosts=None,
                                connect_timeout=TIMEOUT) as conn:  # fmt: skip
        writer, reader, _ = await conn.open_session(term_type="vt100", term_size=(511, 1000))
        stream = Stream(reader)
        name = (await stream.until(r"\n?([\w./-]+)> ?$")).group(1)
        writer.write("enable\n")
        await stream.until(r"ssword: ?$")
        prompt = rf"(?:^|\n){re.escape(name)}# ?"
        writer.write(creds["secret"] + "\n")
        await stream.until(prompt + "$")
        writer.write("".join(f"{line}\n" for line in (PAGER_OFF, *READS)))
        replies = await stream.replies(prompt, len(READS) + 1)
        writer.write("exit\n")
    if replies[0].strip():
        raise RuntimeError(f"{PAGER_OFF!r} answered {replies[0].strip()!r}")
    return dict(zip(READS, replies[1:], strict=True))


class Stream:
    """Text read from an asyncssh session, consumed pattern by pattern."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.text = ""

    async def _more(self) -> None:
        data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
        if not data:
            raise EOFError("channel closed")
        self.text += _lf(data)

    async def until(self, pattern: str) -> re.Match[str]:
        regex = re.compile(pattern)
        while (found := regex.search(self.text)) is None:
            await self._more()
        self.text = self.text[found.end() :]
        return found

    async def replies(self, prompt: str, count: int) -> list[str]:
        """`count` replies typed together: each the output between its echo and the prompt."""
        regex = re.compile(prompt)
        while len(regex.findall(self.text)) < count:
            await self._more()
        parts = regex.split(self.text, maxsplit=count)
        return [part.partition("\n")[2] for part in parts[:count]]


# -- running a client --------------------------------------------------------------------------
async def _bounded(
    hosts: dict[str, Any], workers: int, device: Callable[[dict[str, Any]], Any]
) -> dict[str, dict[str, str]]:
    """Every host through `device`, at most `workers` at a time; every host gets an outcome."""
    gate = asyncio.Semaphore(workers)

    async def one(name: str, host: dict[str, Any]) -> tuple[str, dict[str, str]]:
        async with gate:
            try:
                return name, await asyncio.wait_for(device(host), TIMEOUT)
            except Exception as exc:
                return name, _error(exc)

    return dict(await asyncio.gather(*(one(name, host) for name, host in hosts.items())))


CLIENTS: dict[str, Callable[[Path, int], dict[str, dict[str, str]]]] = {
    "nornir": nornir_client,
    "bare": bare_client,
    "scrapli": scrapli_client,
    "scrapli-bin": scrapli_bin_client,
    "asyncssh": asyncssh_client,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("--inventory", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=10)
    args = parser.parse_args(argv)
    print(json.dumps(CLIENTS[args.client](args.inventory, args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
