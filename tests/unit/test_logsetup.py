"""Logging: levels, the host on every line (threads and third-party loggers too), secrets and
escape sequences never in a line, NO_COLOR, the log file; and `python -m pixfix`."""

from __future__ import annotations

import doctest
import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import pixfix.logsetup
from pixfix import __version__
from pixfix.errors import InputError
from pixfix.logsetup import (
    LogOptions,
    color_wanted,
    configure_logging,
    host_context,
    host_logger,
    per_host,
    stderr_level,
)
from pixfix.secret import Secret

PLANTED = "planted-log-secret-9d1e"


@pytest.fixture(autouse=True)
def clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NO_COLOR", raising=False)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    configure_logging(LogOptions())  # removes what the test installed
    root.setLevel(level)
    root.handlers[:] = handlers


def test_docstring_examples() -> None:
    assert doctest.testmod(pixfix.logsetup).failed == 0


@pytest.mark.parametrize(
    ("options", "level"),
    [
        (LogOptions(), logging.WARNING),
        (LogOptions(verbosity=1), logging.INFO),
        (LogOptions(verbosity=3), logging.DEBUG),
        (LogOptions(quiet=True), logging.ERROR),
    ],
)
def test_levels(options: LogOptions, level: int) -> None:
    assert stderr_level(options) == level


def test_defaults_configure_nothing() -> None:
    before = list(logging.getLogger().handlers)
    configure_logging(LogOptions())
    assert logging.getLogger().handlers == before


def test_every_line_names_its_host_secrets_and_escapes_never_show(tmp_path: Path) -> None:
    stream = io.StringIO()
    log_file = tmp_path / "pixfix.log"
    configure_logging(LogOptions(verbosity=2, log_file=log_file), stream=stream)
    Secret(PLANTED)  # as the inventory creates it
    netmiko = logging.getLogger("netmiko.base_connection")  # a library that knows no host
    ours = logging.getLogger("pixfix.audit.live")

    def job(name: str) -> None:
        netmiko.info("write_channel: %r", f"{PLANTED}\n")
        ours.warning("banner said \x1b]0;owned\x07\x1b[2Jhello")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(per_host(job, lambda name: name), ["fw-a", "fw-b"]))
    host_logger(ours, "fw-c").error("failed: %s", PLANTED)
    try:
        raise ValueError(f"device said {PLANTED}")
    except ValueError:
        ours.exception("with traceback")
    for text in (stream.getvalue(), log_file.read_text()):
        assert PLANTED not in text
        assert "\x1b" not in text and "\x07" not in text
        assert "[fw-a] " in text and "write_channel: '********\\n'" in text
        assert "ValueError: device said ********" in text
        assert "[fw-b]" in text and "[fw-c]" in text
    assert "pixfix: WARNING: [fw-a] banner said hello" in stream.getvalue()
    assert log_file.stat().st_mode & 0o777 == 0o600


def test_host_context_outside_a_job_and_reconfiguring(tmp_path: Path) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(LogOptions(verbosity=1), stream=first)
    configure_logging(LogOptions(verbosity=1), stream=second)
    logging.getLogger("pixfix.x").info("outside")
    with host_context("fw9"):
        logging.getLogger("pixfix.x").info("inside")
    assert first.getvalue() == ""  # replaced, not added to
    assert second.getvalue().splitlines() == [
        "pixfix: INFO: [-] outside",
        "pixfix: INFO: [fw9] inside",
    ]


def test_quiet_shows_errors_only() -> None:
    stream = io.StringIO()
    configure_logging(LogOptions(quiet=True), stream=stream)
    logging.getLogger("pixfix.x").warning("hidden")
    logging.getLogger("pixfix.x").error("shown")
    assert stream.getvalue() == "pixfix: ERROR: [-] shown\n"


def test_an_unwritable_log_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--log-file"):
        configure_logging(LogOptions(log_file=tmp_path / "missing" / "x.log"))


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_color() -> None:
    assert color_wanted(_Tty(), {})
    assert not color_wanted(io.StringIO(), {})
    assert not color_wanted(_Tty(), {"NO_COLOR": "1"})
    assert color_wanted(_Tty(), {"NO_COLOR": ""})  # no-color.org: empty means unset
    configure_logging(LogOptions(no_color=True))
    assert not color_wanted(_Tty())


def test_python_dash_m_pixfix_runs_the_cli() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pixfix", "--version"], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == f"pixfix, version {__version__}"


def test_an_existing_log_file_is_made_private_before_anything_is_written(tmp_path: Path) -> None:
    log = tmp_path / "pixfix.log"
    log.write_text("")
    log.chmod(0o644)
    try:
        configure_logging(LogOptions(verbosity=3, log_file=log))
        assert log.stat().st_mode & 0o777 == 0o600
        logging.getLogger("pixfix.test").debug("running-config text")
    finally:
        configure_logging(LogOptions())
    assert log.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "message",
    [
        "Socket exception: Broken pipe (32)",
        "Socket exception: Bad file descriptor (9)",
        "Socket exception: Connection reset by peer (104)",
    ],
)
def test_paramiko_noise_at_disconnect_is_not_an_error(
    message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """paramiko's transport thread logs these at ERROR when a session closes under it; the
    user caused nothing and can do nothing, so nothing is printed (they stay for -vvv)."""
    stream = io.StringIO()
    try:
        for verbosity in (0, 1):
            configure_logging(LogOptions(verbosity=verbosity), stream=stream)
            logging.getLogger("paramiko.transport").error(message)
        assert stream.getvalue() == "" and capsys.readouterr().err == ""
        configure_logging(LogOptions(verbosity=3), stream=stream)
        logging.getLogger("paramiko.transport").error(message)
        assert "DEBUG" in stream.getvalue() and message in stream.getvalue()
        logging.getLogger("paramiko.transport").error("Oops, unhandled type 3 ('unimplemented')")
        assert "ERROR" in stream.getvalue()  # other paramiko errors still show
    finally:
        configure_logging(LogOptions())
