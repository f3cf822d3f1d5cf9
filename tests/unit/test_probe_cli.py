"""`pixfix probe` through click's runner: options, inventory targets and the exit-code contract."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pixfix.cli import PixfixGroup
from pixfix.cli import probe as probe_cli
from pixfix.probe.classify import Signature, SignatureName, Verdict
from pixfix.probe.smtp import ProbeResult
from pixfix.probe.target import Target


@pytest.fixture
def cli() -> click.Group:
    """A group like `pixfix`'s own, holding only the probe command."""
    group = PixfixGroup("pixfix")
    group.add_command(probe_cli.probe)
    return group


class FakeProbes:
    """Stands in for `probe_many`: records what it was asked, answers one verdict for all."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.targets: list[Target] = []
        self.options: dict[str, object] = {}

    def __call__(self, targets: Iterable[Target], **options: object) -> list[ProbeResult]:
        self.targets = list(targets)
        self.options = options
        signatures = (
            (Signature(name=SignatureName.UNKNOWN_COMMAND_OK, evidence=("GOODMORNING -> 250 OK",)),)
            if self.verdict is Verdict.MAILGUARD
            else ()
        )
        return [
            ProbeResult(target=t, verdict=self.verdict, signatures=signatures, transcript=())
            for t in self.targets
        ]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeProbes:
    probes = FakeProbes(Verdict.CLEAN)
    monkeypatch.setattr(probe_cli, "probe_many", probes)
    return probes


@pytest.mark.parametrize(
    ("verdict", "code"),
    [
        (Verdict.CLEAN, 0),
        (Verdict.INSPECTED, 0),
        (Verdict.MAILGUARD, 1),
        (Verdict.UNREACHABLE, 3),
        (Verdict.NOT_SMTP, 3),
    ],
)
def test_exit_codes(cli: click.Group, fake: FakeProbes, verdict: Verdict, code: int) -> None:
    fake.verdict = verdict
    outcome = CliRunner().invoke(cli, ["probe", "mx.example.com"])
    assert outcome.exit_code == code, outcome.output
    assert verdict.value in outcome.output


def test_targets_and_options_reach_the_prober(cli: click.Group, fake: FakeProbes) -> None:
    args = ["probe", "mx1", "[2001:db8::25]:2525", "--timeout", "2.5", "--workers", "3"]
    outcome = CliRunner().invoke(cli, args)
    assert outcome.exit_code == 0, outcome.output
    assert fake.targets == [Target(host="mx1"), Target(host="2001:db8::25", port=2525)]
    assert fake.options == {"workers": 3, "timeout": 2.5, "char_at_a_time": False}
    assert "no signature seen" in outcome.output


def test_json_format(cli: click.Group, fake: FakeProbes) -> None:
    fake.verdict = Verdict.MAILGUARD
    outcome = CliRunner().invoke(cli, ["probe", "--format", "json", "mx1:2525"])
    assert outcome.exit_code == 1
    records = json.loads(outcome.output)
    assert records[0]["target"] == "mx1:2525"
    assert records[0]["signatures"][0]["name"] == "unknown-command-ok"
    assert records[0]["transcript"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["probe"], "nothing to probe"),
        (["probe", "mx:99999"], "bad target 'mx:99999'"),
        (["probe", "--limit", "fw1", "mx"], "--limit needs -i INVENTORY"),
        (["probe", "--workers", "0", "mx"], "--workers"),
        (["probe", "--timeout", "0", "mx"], "--timeout"),
        (["probe", "--format", "csv", "mx"], "--format"),
    ],
)
def test_usage_errors_exit_2(
    cli: click.Group, fake: FakeProbes, args: list[str], message: str
) -> None:
    outcome = CliRunner().invoke(cli, args)
    assert outcome.exit_code == 2
    assert message in outcome.output
    assert fake.targets == []


INVENTORY = """\
hosts:
  fw1:
    host: 192.0.2.1
    mx: 192.0.2.25:25
  fw2:
    host: 192.0.2.2
  fw3:
    host: 192.0.2.3
    mx: "[2001:db8::25]:2525"
    password_env: FW3_PASSWORD_NOT_SET
"""


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials anywhere, not even in the environment: the probe never logs in."""
    for name in ("PIXFIX_USERNAME", "PIXFIX_PASSWORD", "PIXFIX_SECRET", "FW3_PASSWORD_NOT_SET"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    return path


def test_inventory_probes_every_host_with_an_mx(
    cli: click.Group, fake: FakeProbes, inventory: Path
) -> None:
    outcome = CliRunner().invoke(cli, ["probe", "-i", str(inventory)])
    assert outcome.exit_code == 0, outcome.output
    assert fake.targets == [
        Target(host="192.0.2.25", port=25, name="fw1"),
        Target(host="2001:db8::25", port=2525, name="fw3"),
    ]
    assert "fw1 (192.0.2.25:25)" in outcome.output


def test_inventory_limit(cli: click.Group, fake: FakeProbes, inventory: Path) -> None:
    outcome = CliRunner().invoke(cli, ["probe", "-i", str(inventory), "--limit", "fw3"])
    assert outcome.exit_code == 0, outcome.output
    assert [t.name for t in fake.targets] == ["fw3"]


@pytest.mark.parametrize(
    ("limit", "message"), [("fw2", "has an mx to probe"), ("nosuch", "matched no host")]
)
def test_inventory_without_targets_is_an_input_error(
    cli: click.Group, fake: FakeProbes, inventory: Path, limit: str, message: str
) -> None:
    outcome = CliRunner().invoke(cli, ["probe", "-i", str(inventory), "--limit", limit])
    assert outcome.exit_code == 2
    assert message in outcome.output


def test_inventory_errors_other_than_credentials_still_stop_the_probe(
    cli: click.Group, fake: FakeProbes, tmp_path: Path
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text("hosts:\n  fw1: {host: 192.0.2.1, mx: 192.0.2.25}\n")
    outcome = CliRunner().invoke(cli, ["probe", "-i", str(path)])
    assert outcome.exit_code == 2
    assert outcome.output.splitlines() == [
        f"pixfix: error: {path}: host 'fw1': mx: must be host:port, port 1-65535, "
        "IPv6 as [addr]:port (got '192.0.2.25')"
    ]
    assert fake.targets == []
