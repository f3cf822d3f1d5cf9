"""One apply or rollback at a time per device: a lock per device address, bounded wait."""

from __future__ import annotations

import doctest
import stat
import threading
import time
from pathlib import Path

import pytest

from pixfix.apply import locks
from pixfix.apply.locks import (
    address_key,
    device_lock,
    holder_text,
    lock_key,
    locks_dir,
    state_dir,
)
from pixfix.errors import DeviceBusy


def test_doctests() -> None:
    assert doctest.testmod(locks).failed == 0


def test_state_dir_precedence(tmp_path: Path) -> None:
    assert state_dir({"PIXFIX_STATE_DIR": "/a", "XDG_STATE_HOME": "/b"}) == Path("/a")
    assert state_dir({"XDG_STATE_HOME": "/b"}) == Path("/b/pixfix")
    assert state_dir({}).parts[-3:] == (".local", "state", "pixfix")
    assert locks_dir({"PIXFIX_STATE_DIR": "/a"}) == Path("/a/locks")


def test_a_shared_lock_directory_wins(tmp_path: Path) -> None:
    env = {"PIXFIX_LOCK_DIR": "/shared/pixfix-locks", "PIXFIX_STATE_DIR": "/a"}
    assert locks_dir(env) == Path("/shared/pixfix-locks")


def test_one_device_by_two_names_has_one_address_lock() -> None:
    assert address_key("localhost", 22) == address_key("127.0.0.1", 22) == "127.0.0.1_22"
    assert address_key("LOCALHOST", 22) == address_key("localhost", 22)
    assert address_key("localhost", 2222) != address_key("localhost", 22)
    assert address_key("no-such-host.invalid", 22) == "no-such-host.invalid_22"


def test_the_holder_names_the_run_the_machine_and_the_user() -> None:
    text = holder_text("apply run R1")
    assert text.startswith("pixfix apply run R1 (pid ") and " on " in text and ", user " in text


def test_lock_key_is_a_safe_file_name() -> None:
    assert lock_key("2001:db8::1", 22) == "2001_db8__1_22"
    assert "/" not in lock_key("../../etc", 22)


def test_second_holder_waits_then_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    with device_lock("fw_22", label="fw1", holder="pixfix apply run R1 (pid 1)", folder=tmp_path):
        assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
        started = time.monotonic()
        with (
            pytest.raises(
                DeviceBusy, match=r"fw1: locked by pixfix apply run R1 .*nothing was sent"
            ),
            device_lock("fw_22", label="fw1", holder="R2", folder=tmp_path, wait=0.5),
        ):
            pass
        assert 0.4 < time.monotonic() - started < 3
    with device_lock("fw_22", label="fw1", holder="R3", folder=tmp_path, wait=0):
        pass  # released once the first holder left


def test_a_waiting_run_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    got: list[float] = []
    first = threading.Event()

    def hold() -> None:
        with device_lock("fw_22", label="fw1", holder="R1", folder=tmp_path):
            first.set()
            time.sleep(0.4)

    thread = threading.Thread(target=hold)
    thread.start()
    first.wait()
    with device_lock("fw_22", label="fw1", holder="R2", folder=tmp_path, wait=5):
        got.append(time.monotonic())
    thread.join()
    assert got


def test_other_devices_are_not_blocked(tmp_path: Path) -> None:
    with (
        device_lock("fw1_22", label="fw1", holder="R1", folder=tmp_path),
        device_lock("fw2_22", label="fw2", holder="R1", folder=tmp_path, wait=0),
    ):
        pass
