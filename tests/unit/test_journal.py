"""The record of a run that did not finish, completed from its journal (log.jsonl)."""

from __future__ import annotations

import json
import os
import socket

from pixfix.store.journal import replay, settle

PLAN = {"rollback": ["configure terminal", "  inspect esmtp", "end"]}


def _journal(*entries: dict[str, object]) -> list[str]:
    return [json.dumps({"at": "2026-12-02T00:00:00Z", **entry}) for entry in entries]


def _record(status: str, name: str = "a1", context: str | None = None) -> dict[str, object]:
    return {"name": name, "context": context, "status": status, "reason": "", "plan": PLAN}


LINES = _journal(
    {"device": "a1", "event": "start"},
    {"device": "a1", "send": "configure terminal"},
    {"device": "a1", "send": "  no inspect esmtp"},
    {"device": "m/mail", "event": "start"},
    {"device": "m/mail", "event": "end", "record": {**_record("applied", "m", "mail")}},
    {"device": "a2"},  # a line with nothing to say: ignored
)


def test_a_killed_run_is_completed_from_its_journal() -> None:
    document = {
        "status": "running",
        "pid": 0,
        "devices": [_record("pending"), _record("pending", "m", "mail"), _record("pending", "a3")],
    }
    settled = settle(document, replay([*LINES, '{"device": "a1", "se']), run="runs/R")
    assert settled["status"] == "stopped"
    a1, mail, a3 = settled["devices"]
    assert (a1["status"], a1["commands"]) == (
        "interrupted",
        ["configure terminal", "  no inspect esmtp"],
    )
    assert "pixfix rollback runs/R" in a1["manual"][0]
    assert mail["status"] == "applied"  # its end is in the journal
    assert a3["status"] == "not-started"
    assert settled["summary"] == {"interrupted": 1, "applied": 1, "not-started": 1}


def test_a_run_stopped_at_once_is_completed_again_with_what_came_after() -> None:
    """The second signal wrote the record while workers were still typing: the journal has
    the later lines, and every later read takes them."""
    early = settle(
        {"status": "running", "devices": [_record("pending")]}, replay(LINES[:2]), run="R"
    )
    assert early["devices"][0]["commands"] == ["configure terminal"]
    stopped = {**early, "status": "interrupted"}
    later = settle(stopped, replay(LINES), run="R")
    assert later["status"] == "interrupted"
    assert later["devices"][0]["commands"] == ["configure terminal", "  no inspect esmtp"]


def test_a_live_run_and_a_finished_one_are_left_as_they_are() -> None:
    running = {"status": "running", "pid": os.getpid(), "host": socket.gethostname(),
               "devices": [_record("pending")]}  # fmt: skip
    assert settle(running, replay(LINES), run="R", live=True) is running
    finished = {"status": "finished", "devices": [_record("applied")]}
    assert settle(finished, replay(LINES), run="R") is finished
