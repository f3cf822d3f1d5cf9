"""Host-key policy without a network: sources, unknown and changed keys, trusting new ones."""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path
from typing import Any

import paramiko
import pytest

from pixfix.errors import ConnectError
from pixfix.model import Transport
from pixfix.transport.errors import map_error
from pixfix.transport.hostkeys import (
    HostKeyCheck,
    KeyOptions,
    UnknownHostKey,
    VerifyPolicy,
    check_for,
    key_problem,
    own_file,
)
from pixfix.transport.params import ConnectParams

PUBLIC = resources.files("pixfix.lab").joinpath("keys/ssh_host_rsa_key.pub").read_text().split()
LAB_KEY = paramiko.RSAKey(data=base64.b64decode(PUBLIC[1]))
NAME = "[192.0.2.1]:2222"


@pytest.fixture(scope="module")
def other_key() -> Any:
    return paramiko.RSAKey.generate(1024)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return tmp_path


def test_the_sources_are_the_inventorys_the_users_and_pixfixs_own(home: Path) -> None:
    check = check_for(Path("inv/kh"), KeyOptions())
    own = str(home / ".config" / "pixfix" / "known_hosts")
    assert check.files == ("inv/kh", str(home / ".ssh" / "known_hosts"), own)
    assert (check.record_to, check.trust_new) == (own, False)
    assert check_for(None, KeyOptions(trust_new=True)).files[0] == str(home / ".ssh/known_hosts")


def test_xdg_config_home_moves_pixfixs_own_file(tmp_path: Path) -> None:
    assert own_file({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "pixfix" / "known_hosts"


def test_known_hosts_option_replaces_every_source_and_receives_new_keys(home: Path) -> None:
    check = check_for(Path("inv/kh"), KeyOptions(known_hosts=Path("only"), trust_new=True))
    assert (check.files, check.record_to, check.trust_new) == (("only",), "only", True)


def test_the_first_file_that_knows_the_host_decides(tmp_path: Path, other_key: Any) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text(f"{NAME} ssh-rsa {LAB_KEY.get_base64()}\n")
    second.write_text(f"{NAME} ssh-rsa {other_key.get_base64()}\n")
    keys = HostKeyCheck(files=(str(tmp_path / "absent"), str(first), str(second))).keys_for(NAME)
    assert keys == {"ssh-rsa": LAB_KEY}


def test_an_unknown_key_is_refused_with_its_fingerprint(tmp_path: Path) -> None:
    check = HostKeyCheck(files=(), record_to=str(tmp_path / "own"), trust_new=False)
    with pytest.raises(paramiko.SSHException) as raised:
        VerifyPolicy(check).missing_host_key(None, NAME, LAB_KEY)
    assert isinstance(raised.value.__cause__, UnknownHostKey)
    problem = key_problem([raised.value, raised.value.__cause__], "192.0.2.1:2222")
    assert problem is not None
    assert problem.startswith("host key unknown for 192.0.2.1:2222: ")
    assert f"ssh-rsa {LAB_KEY.fingerprint}" in problem and "--trust-new-keys" in problem
    assert not (tmp_path / "own").exists()


def test_a_trusted_new_key_is_recorded_in_a_private_file(tmp_path: Path) -> None:
    own = tmp_path / "config" / "pixfix" / "known_hosts"
    check = HostKeyCheck(files=(str(own),), record_to=str(own), trust_new=True)
    VerifyPolicy(check).missing_host_key(None, NAME, LAB_KEY)
    assert own.read_text() == f"{NAME} ssh-rsa {LAB_KEY.get_base64()}\n"
    assert own.stat().st_mode & 0o777 == 0o600
    assert own.parent.stat().st_mode & 0o777 == 0o700
    assert check.keys_for(NAME) == {"ssh-rsa": LAB_KEY}  # the shared index sees it at once


def test_a_key_that_cannot_be_recorded_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "pixfix").write_text("a file where the folder should be")
    own = tmp_path / "pixfix" / "known_hosts"
    check = HostKeyCheck(files=(str(own),), record_to=str(own), trust_new=True)
    with pytest.raises(paramiko.SSHException) as raised:
        VerifyPolicy(check).missing_host_key(None, NAME, LAB_KEY)
    problem = key_problem([raised.value, raised.value.__cause__], "192.0.2.1:2222")
    assert problem is not None and problem.startswith("host key unknown for 192.0.2.1:2222: ")
    assert f"cannot record it in {own}" in problem


def test_a_changed_key_names_the_old_and_the_new_fingerprint(other_key: Any) -> None:
    changed = paramiko.BadHostKeyException("192.0.2.1", other_key, LAB_KEY)
    mapped = map_error(changed, PARAMS)
    assert isinstance(mapped, ConnectError)
    assert str(mapped) == (
        f"host key changed for 192.0.2.1:2222: expected ssh-rsa {LAB_KEY.fingerprint}, "
        f"got ssh-rsa {other_key.fingerprint}; refusing to connect"
    )


PARAMS = ConnectParams(
    name="fw", host="192.0.2.1", port=2222, transport=Transport.SSH, username="u", password="pw-1",
    secret="s-2",
)  # fmt: skip
