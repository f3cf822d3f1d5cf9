"""The shared known-hosts index: paramiko's matching, parsed once, bad lines skipped."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import paramiko

from pixfix.transport.hostkeys import KnownHosts, known_hosts

PUBLIC = resources.files("pixfix.lab").joinpath("keys/ssh_host_rsa_key.pub").read_text().split()
LINE = f"{PUBLIC[0]} {PUBLIC[1]}"


def test_a_host_gets_its_own_key_by_exact_name(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"# comment\n\n[127.0.0.1]:10022 {LINE}\nfw.example,192.0.2.1 {LINE}\n")
    index = KnownHosts(str(path))
    assert set(index.keys_for("[127.0.0.1]:10022")) == {"ssh-rsa"}
    assert set(index.keys_for("192.0.2.1")) == {"ssh-rsa"}
    assert index.keys_for("[127.0.0.1]:10023") == {}
    assert index.keys_for("127.0.0.1") == {}


def test_hashed_names_match_as_in_paramiko(tmp_path: Path) -> None:
    hashed = paramiko.HostKeys.hash_host("[127.0.0.1]:10022")
    path = tmp_path / "known_hosts"
    path.write_text(f"{hashed} {LINE}\n")
    assert set(KnownHosts(str(path)).keys_for("[127.0.0.1]:10022")) == {"ssh-rsa"}
    assert KnownHosts(str(path)).keys_for("[127.0.0.1]:10023") == {}


def test_a_broken_line_spoils_only_its_own_host(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"bad ssh-rsa not-base64!!\nshort\n|1|no|salt {LINE}\ngood {LINE}\n")
    index = KnownHosts(str(path))
    assert index.keys_for("bad") == {} and index.keys_for("short") == {}
    assert set(index.keys_for("good")) == {"ssh-rsa"}


def test_the_file_is_read_once_while_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"a {LINE}\n")
    first = known_hosts(str(path))
    assert known_hosts(str(path)) is first
    path.write_text(f"a {LINE}\nb {LINE}\n")
    assert set(known_hosts(str(path)).keys_for("b")) == {"ssh-rsa"}


def test_a_missing_file_knows_no_host(tmp_path: Path) -> None:
    assert known_hosts(str(tmp_path / "absent")).keys_for("a") == {}
