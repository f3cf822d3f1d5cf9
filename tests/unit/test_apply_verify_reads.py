"""The verification session reads the role and the running configuration in one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pixfix.apply.device_ops import role_and_running
from pixfix.model import Role, Train
from pixfix.platforms import FACTS
from pixfix.transport.session import Answers

REPLIES = {
    "show failover": "Failover Off\nFailover unit Primary\nFailover LAN Interface: not Configured",
    "show running-config": "hostname fw\n: end",
    "changeto context mail": "",
    "terminal pager 0": "",
}


@dataclass
class Calls:
    """A `DeviceIO` that keeps each call's commands (one call: one round trip)."""

    pipelines: bool = True
    calls: list[list[str]] = field(default_factory=list)

    def read(self, command: str) -> str:
        return self.read_many([command])[0]

    def read_many(self, commands: Sequence[str]) -> list[str]:
        self.calls.append(list(commands))
        return [REPLIES[command] for command in commands]

    def exchange(self, line: str, answers: Answers = (), *, quiet: float = 0.0) -> str:
        raise AssertionError("a verification types nothing")

    def leave(self, line: str, answers: Answers) -> str:
        raise AssertionError("a verification types nothing")


def test_a_single_context_device_is_verified_in_one_round_trip() -> None:
    io = Calls()
    role, running = role_and_running(io, FACTS[Train.MPF], None)
    assert (role, running) == (Role.STANDALONE, "hostname fw\n: end")
    assert io.calls == [["show failover", "show running-config"]]


def test_a_context_or_a_session_that_reads_one_by_one_reads_as_before() -> None:
    in_context = Calls()
    role, running = role_and_running(in_context, FACTS[Train.MPF], "mail")
    assert (role, running) == (Role.STANDALONE, "hostname fw\n: end")
    assert in_context.calls[0] == ["show failover"]
    one_by_one = Calls(pipelines=False)
    assert role_and_running(one_by_one, FACTS[Train.MPF], None)[1] == "hostname fw\n: end"
    assert one_by_one.calls == [["show failover"], ["show running-config"]]
