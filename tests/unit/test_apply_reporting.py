"""The anonymous error reporting question is waited for only where it can be asked.

ASA 8.4 and later ask it after the first `(config)#` prompt (docs/device-behaviour.md); PIX,
FWSM and older ASA releases never do, so entering configuration mode there waits for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from pixfix.apply.device_ops import REPORTING_QUIET, send_lines
from pixfix.model import Platform, Software
from pixfix.platforms import REPORTING, may_ask_reporting
from pixfix.transport.session import Answers


def _software(platform: Platform, version: tuple[int, int, int, int]) -> Software:
    text = f"{version[0]}.{version[1]}({version[2]})"
    return Software(platform=platform, version=text, version_tuple=version)


@pytest.mark.parametrize(
    ("platform", "version", "asks"),
    [
        (Platform.ASA, (8, 4, 2, 0), True),
        (Platform.ASA, (9, 18, 4, 0), True),
        (Platform.ASA, (8, 3, 2, 0), True),  # which release asked first is unconfirmed
        (Platform.ASA, (7, 2, 5, 0), True),
        (Platform.PIX, (8, 0, 4, 0), False),
        (Platform.PIX, (6, 3, 5, 0), False),
        (Platform.FWSM, (4, 1, 5, 0), False),
    ],
)
def test_every_asa_may_ask_and_pix_and_fwsm_never_do(
    platform: Platform, version: tuple[int, int, int, int], asks: bool
) -> None:
    assert may_ask_reporting(_software(platform, version)) is asks


@dataclass
class Typed:
    """A `DeviceIO` that records what each line was sent with and answers with a prompt."""

    calls: list[tuple[str, tuple[tuple[str, str], ...], float]] = field(default_factory=list)

    @property
    def pipelines(self) -> bool:
        return True

    def read(self, command: str) -> str:
        return ""

    def read_many(self, commands: Sequence[str]) -> list[str]:
        return ["" for _ in commands]

    def exchange(self, line: str, answers: Answers = (), *, quiet: float = 0.0) -> str:
        self.calls.append((line, tuple(answers), quiet))
        return f"{line}\nfw(config)# "

    def leave(self, line: str, answers: Answers) -> str:
        return ""


LINES = ["configure terminal", "policy-map global_policy", "end"]


def test_a_unit_that_may_ask_is_read_until_quiet_after_configure_terminal_only() -> None:
    io = Typed()
    send_lines(io, LINES, error_pattern="ERROR:", sent=[], may_ask=True)
    assert io.calls[0] == ("configure terminal", (REPORTING,), REPORTING_QUIET)
    assert [(answers, quiet) for _, answers, quiet in io.calls[1:]] == [((), 0.0), ((), 0.0)]


def test_a_unit_that_never_asks_waits_for_nothing() -> None:
    io = Typed()
    sent: list[str] = []
    send_lines(io, LINES, error_pattern="ERROR:", sent=sent, may_ask=False)
    assert sent == LINES
    assert all(answers == () and quiet == 0.0 for _, answers, quiet in io.calls)
