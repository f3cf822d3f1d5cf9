"""What `pixfix history DB DEVICE` shows: one device's timeline within one scope."""

from __future__ import annotations

from pixfix.errors import InputError
from pixfix.history.dashboard import main_scope
from pixfix.history.db import History
from pixfix.history.snapshot import Snapshot


def device_timeline(
    history: History, device: str, scope: str | None = None
) -> tuple[str, list[tuple[int, Snapshot]]]:
    """The scope and the (audit id, snapshot) pairs of `device` (`name` or `name/context`).

    Without `scope`: the main scope (the one with the most audits) when the device is in it,
    else the scope of the latest audit that has it. Audits of other scopes are left out: an
    offline or ad-hoc audit in between would read as changes that never happened.
    """
    name, _, context = device.partition("/")
    audits = history.audits()
    scopes = [scope] if scope is not None else [main_scope(audits)] if audits else []
    for chosen in scopes:
        series = history.timeline(name, context or None, chosen)
        if series:
            return chosen, series
    if scope is None:
        every = history.timeline(name, context or None)
        if every:
            by_id = {row.audit_id: row.meta.scope for row in audits}
            chosen = by_id[every[-1][0]]
            return chosen, history.timeline(name, context or None, chosen)
    where = f" in the audits of {scope!r}" if scope is not None else ""
    raise InputError(f"{history.path}: no device {device!r} in the history{where}")
