"""`Recorded` logs every exchange of an apply without costing it round trips."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from pixfix.transport.device_io import Recorded
from pixfix.transport.session import Answers


@dataclass
class Counting:
    """A `DeviceIO` that counts its calls (each call is one round trip on a pipelining SSH
    session) and may fail on a command."""

    calls: list[list[str]] = field(default_factory=list)
    fails: str = ""

    @property
    def pipelines(self) -> bool:
        return True

    def read(self, command: str) -> str:
        return self.read_many([command])[0]

    def read_many(self, commands: Sequence[str]) -> list[str]:
        self.calls.append(list(commands))
        if self.fails in commands:
            raise RuntimeError(f"{self.fails} timed out")
        return [f"out of {command}" for command in commands]

    def exchange(self, line: str, answers: Answers = (), *, quiet: float = 0.0) -> str:
        return line

    def leave(self, line: str, answers: Answers) -> str:
        return line


def test_reads_go_together_and_each_command_is_logged_with_its_reply() -> None:
    inner, log = Counting(), []
    replies = Recorded(inner, log.append).read_many(["show version", "show failover"])
    assert replies == ["out of show version", "out of show failover"]
    assert inner.calls == [["show version", "show failover"]]  # one round trip, not two
    assert [(e["command"], e["reply"]) for e in log] == [
        ("show version", "out of show version"),
        ("show failover", "out of show failover"),
    ]
    assert all(e["together"] == ["show version", "show failover"] for e in log)


def test_a_failed_read_together_is_logged_with_every_command() -> None:
    inner, log = Counting(fails="show failover"), []
    with pytest.raises(RuntimeError):
        Recorded(inner, log.append).read_many(["show version", "show failover"])
    assert log == [
        {"commands": ["show version", "show failover"], "error": "show failover timed out",
         "seconds": log[0]["seconds"]}
    ]  # fmt: skip


def test_one_read_is_logged_as_before() -> None:
    log: list[dict[str, Any]] = []
    Recorded(Counting(), log.append).read_many(["show running-config"])
    assert [set(e) for e in log] == [{"command", "reply", "seconds"}]
