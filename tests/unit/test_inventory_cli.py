"""`pixfix inventory check` through click's runner: listing, secrets kept out, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pixfix.cli.inventory import inventory

REPO = Path(__file__).parents[2]
LAB = REPO / "inventories" / "lab.yaml"
LAB_SECRETS = ("labpass-7f3a", "labenable-92ce")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_lab_inventory_is_listed_without_its_secrets(fmt: str) -> None:
    outcome = CliRunner().invoke(inventory, ["check", "-i", str(LAB), "--format", fmt])
    assert outcome.exit_code == 0, outcome.output
    assert "lab-pix41" in outcome.stdout
    assert "lab-fwsm31" in outcome.stdout
    for secret in LAB_SECRETS:
        assert secret not in outcome.output  # stdout and stderr together


def test_inline_passwords_are_warned_about_on_stderr_naming_the_file() -> None:
    outcome = CliRunner().invoke(inventory, ["check", "-i", str(LAB)])
    assert outcome.stderr.splitlines() == [
        f"pixfix: warning: {LAB}: defaults has an inline password; prefer password_env",
        f"pixfix: warning: {LAB}: defaults has an inline secret; prefer secret_env",
    ]
    assert "warning" not in outcome.stdout


def test_table_lists_addresses_and_credential_sources() -> None:
    outcome = CliRunner().invoke(inventory, ["check", "-i", str(LAB), "--limit", "lab-pix41"])
    assert outcome.exit_code == 0, outcome.output
    header, row, footer = outcome.stdout.splitlines()
    assert header.split() == [
        "NAME",
        "ADDRESS",
        "TRANSPORT",
        "PLATFORM",
        "GROUPS",
        "TAGS",
        "MX",
        "CREDENTIALS",
    ]
    assert row.split("  ")[0] == "lab-pix41"
    assert "127.0.0.1:10022" in row
    assert "127.0.0.1:15022" in row
    assert "password inline, secret inline" in row
    assert footer == "1 host(s)"


def test_json_lists_selected_hosts_with_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    names = (
        "FW_USERNAME FW_PASSWORD FW_ENABLE FW_LEGACY_USERNAME FW_LEGACY_PASSWORD FW_LEGACY_ENABLE"
    )
    for name in names.split():
        monkeypatch.setenv(name, f"value-of-{name}")
    args = ["check", "-i", str(REPO / "inventories" / "example.yaml"), "--format", "json"]
    outcome = CliRunner().invoke(inventory, [*args, "--limit", "edge-ber-01"])
    assert outcome.exit_code == 0, outcome.output
    (record,) = json.loads(outcome.stdout)
    assert record["name"] == "edge-ber-01"
    assert record["mx"] == "[2001:db8:25::25]:25"
    assert record["credentials"]["password"] == "env FW_PASSWORD"
    assert "password" not in record
    assert "value-of-FW_PASSWORD" not in outcome.output
    assert "value-of-FW_ENABLE" not in outcome.output


def test_bad_inventory_exits_2_with_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("hosts:\n  fw1: {host: 192.0.2.1, port: 70000, password: pw-31d4}\n")
    outcome = CliRunner().invoke(inventory, ["check", "-i", str(path)])
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    (line,) = outcome.stderr.splitlines()
    assert line.startswith(f"pixfix: error: {path}: host 'fw1': port: must be 1-65535")
    assert "pw-31d4" not in outcome.output


def test_missing_credential_variable_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FW_PW", raising=False)
    path = tmp_path / "inv.yaml"
    path.write_text("hosts:\n  fw1: {host: 192.0.2.1, username: ops, password_env: FW_PW}\n")
    outcome = CliRunner().invoke(inventory, ["check", "-i", str(path)])
    assert outcome.exit_code == 2
    assert outcome.output.splitlines() == [
        f"pixfix: error: {path}: host 'fw1': password: environment variable FW_PW is not set"
    ]


@pytest.mark.parametrize(
    ("limit", "message"), [("nosuch-*", "matched no host"), ("site=fra", "unknown selector")]
)
def test_limit_matching_nothing_or_malformed_exits_2(limit: str, message: str) -> None:
    outcome = CliRunner().invoke(inventory, ["check", "-i", str(LAB), "--limit", limit])
    assert outcome.exit_code == 2
    assert message in outcome.stderr
    assert outcome.stdout == ""


@pytest.mark.parametrize(
    "args",
    [["check"], ["check", "-i", "no-such-file.yaml"], ["check", "-i", "x", "--format", "csv"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert CliRunner().invoke(inventory, args).exit_code == 2
