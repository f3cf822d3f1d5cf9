"""Credential sources: PIXFIX_* defaults, the keyring, one question per distinct credential, and
secrets that never show (reprs, errors, listings, the redaction registry)."""

from __future__ import annotations

import doctest
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pixfix.inventory.credentials
from pixfix.cli.inventory import inventory as inventory_cli
from pixfix.errors import InventoryError
from pixfix.inventory.credentials import (
    Backends,
    ListingPrompter,
    SystemKeyring,
    TerminalPrompter,
)
from pixfix.inventory.load import Inventory, load_inventory
from pixfix.inventory.select import describe_hosts
from pixfix.secret import Secret, known_secrets

PLANTED = "planted-kr-5c0ffee"  # a secret from the keyring or a prompt: never shown


class FakeKeyring:
    def __init__(self, entries: dict[tuple[str, str], str], *, broken: bool = False) -> None:
        self.entries = entries
        self.calls: list[tuple[str, str]] = []
        self.broken = broken

    def get(self, service: str, name: str) -> str | None:
        self.calls.append((service, name))
        if self.broken:
            raise RuntimeError(f"backend locked {PLANTED}")
        return self.entries.get((service, name))


class FakePrompter:
    def __init__(self, answers: dict[str, str], *, available: bool = True) -> None:
        self.answers = answers
        self.asked: list[tuple[str, bool]] = []
        self._available = available

    def available(self) -> bool:
        return self._available

    def ask(self, question: str, *, hidden: bool) -> str:
        self.asked.append((question, hidden))
        return next(v for k, v in self.answers.items() if k in question)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(
    path: Path,
    *,
    keyring: FakeKeyring | None = None,
    prompter: FakePrompter | None = None,
    environ: dict[str, str] | None = None,
    required: bool = True,
) -> Inventory:
    return load_inventory(
        path,
        environ=environ or {},
        require_credentials=required,
        backends=Backends(keyring=keyring, prompter=prompter),
    )


def test_docstring_examples() -> None:
    assert doctest.testmod(pixfix.inventory.credentials).failed == 0


# ---- PIXFIX_* defaults (the environment) --------------------------------------------------------


def test_pixfix_variables_are_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1}\n")
    environ = {"PIXFIX_USERNAME": "ops", "PIXFIX_PASSWORD": "pw", "PIXFIX_SECRET": "en"}
    fw1 = load(path, environ=environ).hosts[0]
    assert (fw1.username, fw1.password.reveal(), fw1.secret.reveal()) == ("ops", "pw", "en")


# ---- the keyring ------------------------------------------------------------------------------

KEYRING_INVENTORY = """\
defaults: {password_env: FW_PASSWORD}
groups:
  vaulted: {keyring: fw-prod}
hosts:
  fw1: {host: 192.0.2.1, groups: [vaulted]}
  fw2: {host: 192.0.2.2, groups: [vaulted], password: inline-pw}
  fw3: {host: 192.0.2.3, username: own-user, keyring: fw-lab}
  fw4: {host: 192.0.2.4, username: u4}
"""


def test_keyring_entries_under_the_service_and_precedence(tmp_path: Path) -> None:
    keyring = FakeKeyring(
        {
            ("fw-prod", "username"): "prod-user",
            ("fw-prod", "password"): PLANTED,
            ("fw-prod", "secret"): "prod-en",
            ("fw-lab", "username"): "lab-user",
            ("fw-lab", "password"): "lab-pw",
        }
    )
    inv = load(write(tmp_path, KEYRING_INVENTORY), keyring=keyring, environ={"FW_PASSWORD": "x"})
    fw1, fw2, fw3, fw4 = inv.hosts
    # the group's keyring beats the password_env of defaults (a lower layer)
    assert (fw1.username, fw1.password.reveal(), fw1.secret.reveal()) == (
        "prod-user",
        PLANTED,
        "prod-en",
    )
    assert fw2.password.reveal() == "inline-pw"  # the host's own value beats its group's keyring
    assert fw3.username == "own-user"  # set beside the keyring, at the same level: it wins
    assert (fw3.password.reveal(), fw3.secret.reveal()) == ("lab-pw", "")  # no secret entry
    assert fw4.password.reveal() == "x"
    assert keyring.calls.count(("fw-prod", "password")) == 1  # each entry read once
    assert describe_hosts(inv)[0]["credentials"] == {
        "username": "keyring fw-prod",
        "password": "keyring fw-prod",
        "secret": "keyring fw-prod (else none)",
    }
    assert PLANTED not in json.dumps(describe_hosts(inv)) + repr(inv)


def test_a_missing_keyring_entry_falls_through_to_pixfix_variables(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, keyring: fw}\n")
    keyring = FakeKeyring({("fw", "password"): "kr-pw"})
    fw1 = load(path, keyring=keyring, environ={"PIXFIX_USERNAME": "env-user"}).hosts[0]
    assert (fw1.username, fw1.password.reveal()) == ("env-user", "kr-pw")
    assert str(fw1.source.username) == "keyring fw (else env PIXFIX_USERNAME)"


def test_a_missing_keyring_entry_with_nothing_after_it_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, keyring: fw}\n")
    with pytest.raises(InventoryError) as caught:
        load(path, keyring=FakeKeyring({("fw", "username"): "u"}))
    assert str(caught.value) == (
        f"{path}: host 'fw1': password: keyring service 'fw' has no 'password' entry, and "
        "PIXFIX_PASSWORD is not set (nor is there a terminal to ask on)"
    )


def test_keyring_named_without_the_package_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, keyring: fw}\n")
    with pytest.raises(InventoryError, match=r"keyring 'fw' is named but the keyring package is"):
        load(path)
    assert load(path, required=False).hosts[0].password == Secret("")  # the probe needs none


def test_a_run_that_does_not_log_in_never_opens_the_keyring(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, keyring: fw}\n")
    keyring = FakeKeyring({("fw", "password"): "x"})
    load(path, keyring=keyring, required=False)
    assert keyring.calls == []


def test_keyring_errors_name_the_service_and_never_chain(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, keyring: fw}\n")
    with pytest.raises(InventoryError) as caught:
        load(path, keyring=FakeKeyring({}, broken=True))
    assert str(caught.value) == f"{path}: host 'fw1': username: keyring service 'fw': RuntimeError"
    assert caught.value.__cause__ is None


def test_the_system_keyring_is_read_through_the_keyring_package(tmp_path: Path) -> None:
    keyring = pytest.importorskip("keyring")
    backend_module = pytest.importorskip("keyring.backend")

    class Memory(backend_module.KeyringBackend):  # type: ignore[misc,name-defined]
        priority = 1

        def get_password(self, service: str, username: str) -> str | None:
            return {("fw-sys", "username"): "sys-user", ("fw-sys", "password"): PLANTED}.get(
                (service, username)
            )

        def set_password(self, service: str, username: str, password: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, keyring: fw-sys}\n")
        fw1 = load_inventory(
            path, environ={}, backends=Backends(keyring=SystemKeyring(), prompter=None)
        ).hosts[0]
    finally:
        keyring.set_keyring(previous)
    assert (fw1.username, fw1.password.reveal(), fw1.secret.reveal()) == ("sys-user", PLANTED, "")


def test_ansible_and_nornir_name_a_keyring_with_pixfix_keyring(tmp_path: Path) -> None:
    keyring = FakeKeyring({("svc", "username"): "u", ("svc", "password"): "p"})
    ini = tmp_path / "hosts.ini"
    ini.write_text("[asa]\nfw1\n[asa:vars]\npixfix_keyring=svc\n")
    (tmp_path / "nornir").mkdir()
    (tmp_path / "nornir" / "hosts.yaml").write_text(
        "fw1: {hostname: x, data: {pixfix_keyring: svc}}\n"
    )
    for path in (ini, tmp_path / "nornir"):
        fw1 = load(path, keyring=keyring).hosts[0]
        assert (fw1.username, fw1.password.reveal()) == ("u", "p")


# ---- questions on the terminal ----------------------------------------------------------------

PROMPT_INVENTORY = """\
hosts:
  fw1: {host: 192.0.2.1}
  fw2: {host: 192.0.2.2}
  fw3: {host: 192.0.2.3, username: other}
  fw4: {host: 192.0.2.4, username: other, secret_env: EN}
"""


def test_one_question_per_distinct_credential(tmp_path: Path) -> None:
    prompter = FakePrompter(
        {"username": "asked-user", "password for asked-user": PLANTED, "password for other": "p2"}
        | {"secret": "en-asked"}
    )
    inv = load(write(tmp_path, PROMPT_INVENTORY), prompter=prompter, environ={"EN": "env-en"})
    fw1, fw2, _, fw4 = inv.hosts
    assert [h.username for h in inv.hosts] == ["asked-user", "asked-user", "other", "other"]
    assert [h.password.reveal() for h in inv.hosts] == [PLANTED, PLANTED, "p2", "p2"]
    assert (fw1.secret.reveal(), fw4.secret.reveal()) == ("en-asked", "env-en")
    every = "(used for every host that needs it): "
    assert prompter.asked == [
        ("pixfix: username " + every, False),
        ("pixfix: password for asked-user " + every, True),
        ("pixfix: enable secret (empty: none) for asked-user " + every, True),
        ("pixfix: password for other " + every, True),
        ("pixfix: enable secret (empty: none) for other " + every, True),
    ]
    assert str(fw2.source.password) == "prompt"
    assert PLANTED not in repr(inv) + json.dumps(describe_hosts(inv))


def test_without_a_terminal_a_missing_credential_is_an_error_naming_the_host(
    tmp_path: Path,
) -> None:
    prompter = FakePrompter({}, available=False)
    with pytest.raises(InventoryError) as caught:
        load(write(tmp_path, PROMPT_INVENTORY), prompter=prompter)
    assert str(caught.value).startswith(f"{tmp_path / 'inv.yaml'}: host 'fw1': no username: ")
    assert "or run on a terminal to be asked" in str(caught.value)
    assert prompter.asked == []


def test_nothing_is_asked_for_a_run_that_does_not_log_in(tmp_path: Path) -> None:
    prompter = FakePrompter({})
    inv = load(write(tmp_path, PROMPT_INVENTORY), prompter=prompter, required=False)
    assert prompter.asked == []
    assert inv.hosts[0].password == Secret("")


def test_the_terminal_prompter_never_asks_without_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert not TerminalPrompter().available()
    assert not ListingPrompter().available()
    assert ListingPrompter().ask("pixfix: password: ", hidden=True) == ""


def test_inventory_check_lists_prompt_sources_without_asking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ListingPrompter, "available", lambda self: True)
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1}\n")
    outcome = CliRunner().invoke(inventory_cli, ["check", "-i", str(path), "--format", "json"])
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.stdout)[0]["credentials"] == {
        "username": "prompt",
        "password": "prompt",
        "secret": "prompt",
    }


# ---- the redaction registry -------------------------------------------------------------------


def test_every_secret_value_is_known_for_log_redaction() -> None:
    Secret(PLANTED + "-registry")
    Secret("")
    assert PLANTED + "-registry" in known_secrets()
    assert "" not in known_secrets()
