"""pixfix.history.since and .timeline: what changed between two audits, from snapshots."""

from __future__ import annotations

from datetime import datetime

import pytest

from pixfix.errors import InputError
from pixfix.history.record import parse_since
from pixfix.history.since import Reference, compare
from pixfix.history.snapshot import Snapshot
from pixfix.history.timeline import changes, open_regression, train_label
from pixfix.model import Status

REF = Reference(audit_id=1, started=1_000.0)
FIXUP = "fixup protocol smtp 25"


def snap(name: str, status: Status, *, context: str | None = None, **over: object) -> Snapshot:
    running = over.pop("running", status)
    lines = over.pop("lines", (FIXUP,) if status is Status.EXPOSED else ())
    return Snapshot(name=name, context=context, status=status, running=running,  # type: ignore[arg-type]
                    lines=lines, **over)  # type: ignore[arg-type]  # fmt: skip


def by_key(*snaps: Snapshot) -> dict[tuple[str, str | None], Snapshot]:
    return {s.key: s for s in snaps}


def test_one_regression_one_fix_and_the_lines_that_came_back() -> None:
    before = by_key(snap("a", Status.COMPLIANT), snap("b", Status.EXPOSED), snap("c", Status.TUNED))
    now = by_key(snap("a", Status.EXPOSED), snap("b", Status.COMPLIANT), snap("c", Status.TUNED))
    since = compare(REF, before, now)
    assert since.names("regressions") == ["a"]
    assert since.regressions[0].lines == (FIXUP,)
    assert since.regressions[0].was is Status.COMPLIANT
    assert since.fixed == ("b",)
    assert (since.unreachable, since.new, since.gone) == ((), (), ())


def test_a_tuned_device_exposed_again_is_a_regression() -> None:
    since = compare(REF, by_key(snap("a", Status.TUNED)), by_key(snap("a", Status.EXPOSED)))
    assert since.names("regressions") == ["a"]


def test_the_saved_side_turning_exposed_is_a_regression_of_that_side() -> None:
    """A restored startup configuration: running still fixed, the next reload brings it back."""
    before = by_key(snap("a", Status.COMPLIANT, saved=Status.COMPLIANT))
    now = by_key(snap("a", Status.UNSAVED, running=Status.COMPLIANT, saved=Status.EXPOSED,
                      saved_lines=(FIXUP,)))  # fmt: skip
    (regression,) = compare(REF, before, now).regressions
    assert (regression.sides, regression.lines) == (("saved",), (FIXUP,))


def test_an_unsaved_fix_lost_in_a_reload_is_a_regression_of_the_running_side() -> None:
    before = by_key(snap("a", Status.UNSAVED, running=Status.COMPLIANT, saved=Status.EXPOSED))
    now = by_key(snap("a", Status.EXPOSED, saved=Status.EXPOSED))
    (regression,) = compare(REF, before, now).regressions
    assert regression.sides == ("running",)


def test_an_exposed_device_staying_exposed_or_going_unsaved_is_neither() -> None:
    before = by_key(snap("a", Status.EXPOSED), snap("b", Status.EXPOSED, saved=Status.EXPOSED))
    now = by_key(
        snap("a", Status.EXPOSED),
        snap("b", Status.UNSAVED, running=Status.COMPLIANT, saved=Status.EXPOSED),
    )
    since = compare(REF, before, now)
    assert (since.regressions, since.fixed) == ((), ())


def test_unreachable_new_and_gone() -> None:
    before = by_key(snap("a", Status.COMPLIANT), snap("old", Status.EXPOSED))
    now = by_key(snap("a", Status.ERROR, error="timed out"), snap("fresh", Status.EXPOSED))
    since = compare(REF, before, now)
    assert (since.unreachable, since.new, since.gone) == (("a",), ("fresh",), ("old",))
    assert since.regressions == ()


def test_a_regression_does_not_hide_behind_a_night_the_device_was_unreachable() -> None:
    before = by_key(snap("a", Status.ERROR, error="timed out"))
    known = {("a", None): (snap("a", Status.COMPLIANT), 500.0)}
    since = compare(REF, before, by_key(snap("a", Status.EXPOSED)), known=known)
    (regression,) = since.regressions
    assert (regression.was, regression.was_at) == (Status.COMPLIANT, 500.0)
    assert since.unreachable == ()


def test_a_multiple_context_device_that_cannot_be_reached_is_unreachable_not_gone() -> None:
    before = by_key(snap("fw", Status.COMPLIANT, context="admin"),
                    snap("fw", Status.EXPOSED, context="mail"))  # fmt: skip
    since = compare(REF, before, by_key(snap("fw", Status.ERROR, error="refused")))
    assert since.unreachable == ("fw/admin", "fw/mail")
    assert (since.new, since.gone) == ((), ())


def test_contexts_read_again_after_the_whole_device_failed_are_not_new() -> None:
    before = by_key(snap("fw", Status.ERROR, error="refused"))
    known = {("fw", "mail"): (snap("fw", Status.COMPLIANT, context="mail"), 10.0)}
    now = by_key(snap("fw", Status.EXPOSED, context="mail"))
    since = compare(REF, before, now, known=known)
    assert since.names("regressions") == ["fw/mail"]
    assert (since.new, since.gone) == ((), ())


def test_without_a_reference_everything_is_new_and_nothing_regressed() -> None:
    since = compare(None, {}, by_key(snap("a", Status.EXPOSED)))
    assert (since.new, since.regressions) == (("a",), ())
    assert since.to_json()["reference"] is None


def test_timeline_keeps_the_audits_where_something_changed() -> None:
    series = [
        (1, snap("a", Status.COMPLIANT, fingerprint="f1", software="9.8(4)")),
        (2, snap("a", Status.COMPLIANT, fingerprint="f1", software="9.8(4)")),
        (3, snap("a", Status.ERROR, error="timed out", software=None)),
        (4, snap("a", Status.EXPOSED, fingerprint="f2", software="9.8(4)")),
    ]
    found = changes(series)
    assert [(c.audit_id, c.what) for c in found] == [
        (1, ("first seen",)),
        (3, ("verdict",)),  # an unreadable night changes nothing but the verdict
        (4, ("verdict", "configuration")),  # held against night 2, the last one read
    ]
    still = open_regression(series)
    assert still is not None and still.audit_id == 4
    fixed = [*series, (5, snap("a", Status.COMPLIANT, fingerprint="f3"))]
    assert open_regression(fixed) is None


def test_train_label() -> None:
    assert train_label("asa", "9.8(4)32") == "ASA 9.8"
    assert train_label("pix", "6.3(5)") == "PIX 6.3"
    assert train_label(None, None) == "unknown"


def test_an_exposed_device_saving_its_exposure_is_not_exposed_again() -> None:
    """Night 2 puts inspection back unsaved (a regression); night 3 saves it: the same incident,
    no second page."""
    compliant = snap("a", Status.COMPLIANT, saved=Status.COMPLIANT)
    unsaved_back = snap("a", Status.EXPOSED, saved=Status.COMPLIANT)
    saved_back = snap("a", Status.EXPOSED, saved=Status.EXPOSED, saved_lines=(FIXUP,))
    assert compare(REF, by_key(compliant), by_key(unsaved_back)).names("regressions") == ["a"]
    assert compare(REF, by_key(unsaved_back), by_key(saved_back)).regressions == ()
    found = open_regression([(1, compliant), (2, unsaved_back), (3, saved_back)])
    assert found is not None
    assert (found.audit_id, found.regression.sides) == (2, ("running",))


def test_an_error_between_two_identical_reads_changes_nothing_but_the_verdict() -> None:
    read = snap("a", Status.COMPLIANT, fingerprint="f1", software="9.8(4)", role="active")
    lost = snap("a", Status.ERROR, error="timed out")
    found = changes([(1, read), (2, lost), (3, read)])
    assert [(c.audit_id, c.what) for c in found] == [
        (1, ("first seen",)),
        (2, ("verdict",)),
        (3, ("verdict",)),
    ]


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2026-11-30", datetime(2026, 11, 30, 23, 59, 59, 999999)),
        ("20261130", datetime(2026, 11, 30, 23, 59, 59, 999999)),
        ("2026-11-30T02", datetime(2026, 11, 30, 2, 59, 59, 999999)),
        ("2026-11-30T02:00", datetime(2026, 11, 30, 2, 0, 59, 999999)),
        ("2026-11-30 02:00:05", datetime(2026, 11, 30, 2, 0, 5, 999999)),
    ],
)
def test_since_a_date_means_the_end_of_the_period_it_names(text: str, end: datetime) -> None:
    """An audit shown as `2026-11-30 02:00` (it started at 02:00:20) is `--since
    2026-11-30T02:00`, not the audit before it."""
    until = parse_since(text).until
    assert until is not None
    assert abs(until - end.timestamp()) < 1e-5


def test_since_rejects_what_is_not_a_date() -> None:
    for text in ("yesterday", "2026-13-01", ""):
        with pytest.raises(InputError, match="give `last` or a date"):
            parse_since(text)
