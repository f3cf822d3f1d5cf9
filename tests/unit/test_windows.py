"""Change windows: the cron subset, ISO 8601 intervals, and a device's window at a moment."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pixfix.apply import windows
from pixfix.apply.windows import (
    Interval,
    WindowState,
    check_window,
    next_start,
    occurrence_at,
    parse_cron,
    parse_duration,
    parse_interval,
    start_refusal,
    starts_between,
    validate_window,
)
from pixfix.errors import InputError
from pixfix.inventory.schema import ChangeWindow

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY_22 = ChangeWindow(cron="0 22 * * 6", duration=timedelta(hours=4), timezone="Europe/Berlin")


def test_doctests() -> None:
    assert doctest.testmod(windows).failed == 0


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---- cron ------------------------------------------------------------------------------------


def test_cron_fields_with_lists_ranges_steps_and_names() -> None:
    spec = parse_cron("*/15 8-10,22 1,15 jan-mar mon-fri")
    assert sorted(spec.minutes) == [0, 15, 30, 45]
    assert sorted(spec.hours) == [8, 9, 10, 22]
    assert sorted(spec.days) == [1, 15]
    assert sorted(spec.months) == [1, 2, 3]
    assert sorted(spec.weekdays) == [1, 2, 3, 4, 5]


def test_cron_step_from_a_start_runs_to_the_end_of_the_field() -> None:
    assert sorted(parse_cron("5/20 * * * *").minutes) == [5, 25, 45]
    assert sorted(parse_cron("0 0-12/6 * * *").hours) == [0, 6, 12]


def test_cron_sunday_is_0_or_7_and_names_ignore_case() -> None:
    assert parse_cron("0 0 * * 7").weekdays == parse_cron("0 0 * * SUN").weekdays == {0}


@pytest.mark.parametrize(
    "line",
    ["0 22 * *", "60 22 * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8",
     "0 0 * foo *", "5-1 * * * *", "*/0 * * * *", "0 0 * * mon-", "a b c d e"],
)  # fmt: skip
def test_bad_cron_lines_are_input_errors(line: str) -> None:
    with pytest.raises(InputError, match="cron"):
        parse_cron(line)


def test_validate_window_rejects_out_of_range_values() -> None:
    with pytest.raises(InputError):
        validate_window(
            ChangeWindow(cron="99 0 * * *", duration=timedelta(hours=1), timezone="UTC")
        )


def test_both_day_fields_restricted_means_either_matches() -> None:
    """Vixie cron: `0 22 1 * sat` fires on the 1st and on every Saturday."""
    spec = parse_cron("0 22 1 * sat")
    assert spec.matches_date(at("2026-12-01").date())  # a Tuesday, the 1st
    assert spec.matches_date(at("2026-12-05").date())  # a Saturday
    assert not spec.matches_date(at("2026-12-02").date())


def test_one_day_field_restricted_means_both_must_match() -> None:
    spec = parse_cron("0 22 * 12 sat")
    assert spec.matches_date(at("2026-12-05").date())
    assert not spec.matches_date(at("2026-11-28").date())  # a Saturday in November


def test_starts_between_reads_the_cron_line_in_the_window_zone() -> None:
    starts = list(
        starts_between(
            parse_cron("0 22 * * sat"),
            BERLIN,
            at("2026-12-01T00:00+00:00"),
            at("2026-12-14T00:00+00:00"),
        )
    )
    assert [s.astimezone(UTC).isoformat() for s in starts] == [
        "2026-12-05T21:00:00+00:00",
        "2026-12-12T21:00:00+00:00",
    ]


def test_a_start_that_does_not_exist_on_spring_forward_day_is_skipped() -> None:
    """Berlin skips 02:00-03:00 on 2026-03-29."""
    spec = parse_cron("30 2 * * *")
    starts = list(
        starts_between(spec, BERLIN, at("2026-03-28T00:00+00:00"), at("2026-03-31T00:00+00:00"))
    )
    assert [s.date().isoformat() for s in starts] == ["2026-03-28", "2026-03-30"]


def test_a_start_repeated_on_fall_back_day_counts_once() -> None:
    spec = parse_cron("30 2 * * *")
    starts = list(
        starts_between(spec, BERLIN, at("2026-10-25T00:00+00:00"), at("2026-10-26T00:00+00:00"))
    )
    assert len(starts) == 1


# ---- recurring windows -----------------------------------------------------------------------


def test_occurrence_containing_now_spans_midnight() -> None:
    found = occurrence_at(SATURDAY_22, at("2026-12-06T01:30+01:00"))
    assert found is not None
    assert found.start == at("2026-12-05T22:00+01:00")
    assert found.end == at("2026-12-06T02:00+01:00")


def test_no_occurrence_outside_and_at_the_exact_end() -> None:
    assert occurrence_at(SATURDAY_22, at("2026-12-05T21:59+01:00")) is None
    assert occurrence_at(SATURDAY_22, at("2026-12-06T02:00+01:00")) is None
    assert occurrence_at(SATURDAY_22, at("2026-12-05T22:00+01:00")) is not None


def test_next_start_finds_the_next_opening() -> None:
    found = next_start(SATURDAY_22, at("2026-12-06T03:00+01:00"))
    assert found is not None and found.start == at("2026-12-12T22:00+01:00")


def test_next_start_of_a_date_that_never_comes_is_none() -> None:
    never = ChangeWindow(cron="0 0 31 2 *", duration=timedelta(hours=1), timezone="UTC")
    assert next_start(never, at("2026-01-01T00:00+00:00")) is None


# ---- ISO 8601 intervals ----------------------------------------------------------------------

NOW = at("2026-12-05T21:30+00:00")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        (
            "2026-12-05T22:00+01:00/2026-12-06T02:00+01:00",
            "2026-12-05T22:00+01:00",
            "2026-12-06T02:00+01:00",
        ),
        ("now/PT2H", "2026-12-05T21:30+00:00", "2026-12-05T23:30+00:00"),
        ("2026-12-05T22:00Z/PT1H30M", "2026-12-05T22:00+00:00", "2026-12-05T23:30+00:00"),
        ("PT1H/2026-12-06T00:00Z", "2026-12-05T23:00+00:00", "2026-12-06T00:00+00:00"),
        ("now/2026-12-06T00:00Z", "2026-12-05T21:30+00:00", "2026-12-06T00:00+00:00"),
        ("now/P1DT2H", "2026-12-05T21:30+00:00", "2026-12-06T23:30+00:00"),
        ("now/P1W", "2026-12-05T21:30+00:00", "2026-12-12T21:30+00:00"),
    ],
)
def test_parse_interval_forms(text: str, start: str, end: str) -> None:
    interval = parse_interval(text, NOW)
    assert (interval.start, interval.end) == (at(start), at(end))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("now", "expected START/END"),
        ("a/b/c", "expected START/END"),
        ("PT1H/PT2H", "not two durations"),
        ("2026-12-05T22:00/PT1H", "no UTC offset"),
        ("yesterday/PT1H", "not an ISO 8601 date"),
        ("now/P1M", "not an ISO 8601 duration"),
        ("now/PT", "not an ISO 8601 duration"),
        ("now/PT0H", "empty"),
        ("2026-12-06T00:00Z/2026-12-05T00:00Z", "not after the start"),
    ],
)
def test_bad_intervals_are_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_interval(text, NOW)


def test_parse_duration() -> None:
    assert parse_duration("PT2H") == timedelta(hours=2)
    assert parse_duration("P1DT30M") == timedelta(days=1, minutes=30)
    assert parse_duration("pt45s") == timedelta(seconds=45)


# ---- a device's window -----------------------------------------------------------------------


def test_no_window_at_all() -> None:
    check = check_window(None, None, NOW)
    assert check.state is WindowState.NONE
    assert "no change window" in (start_refusal(check, NOW, timedelta(minutes=15)) or "")


def test_fixed_window_only() -> None:
    fixed = parse_interval("now/PT2H", NOW)
    assert check_window(None, fixed, NOW).state is WindowState.OPEN
    later = check_window(None, fixed, NOW + timedelta(hours=3))
    assert later.state is WindowState.OUTSIDE and later.next_open is None
    early = check_window(None, fixed, NOW - timedelta(hours=1))
    assert early.state is WindowState.OUTSIDE and early.next_open == fixed


def test_recurring_window_only_says_when_it_opens_next() -> None:
    check = check_window(SATURDAY_22, None, at("2026-12-03T12:00+01:00"))
    assert check.state is WindowState.OUTSIDE
    assert check.next_open is not None and check.next_open.start == at("2026-12-05T22:00+01:00")
    assert "next opens 2026-12-05T22:00+01:00" in check.describe()


def test_both_windows_intersect() -> None:
    fixed = parse_interval("2026-12-05T23:00+01:00/2026-12-06T05:00+01:00", NOW)
    inside = check_window(SATURDAY_22, fixed, at("2026-12-05T23:30+01:00"))
    assert inside.state is WindowState.OPEN and inside.window is not None
    assert inside.window.start == at("2026-12-05T23:00+01:00")
    assert inside.window.end == at("2026-12-06T02:00+01:00")
    # inside the inventory window but before --window opens: the intersection is still ahead
    early = check_window(SATURDAY_22, fixed, at("2026-12-05T22:30+01:00"))
    assert early.state is WindowState.OUTSIDE and early.next_open is not None
    assert early.next_open.start == at("2026-12-05T23:00+01:00")
    # inside --window but after the inventory window closed: never again within --window
    late = check_window(SATURDAY_22, fixed, at("2026-12-06T03:00+01:00"))
    assert late.state is WindowState.OUTSIDE and late.next_open is None


def test_intersection_found_in_a_later_week() -> None:
    fixed = parse_interval("2026-12-01T00:00Z/2026-12-31T00:00Z", NOW)
    check = check_window(SATURDAY_22, fixed, at("2026-12-07T12:00+01:00"))
    assert check.next_open is not None
    assert check.next_open.start == at("2026-12-12T22:00+01:00")


def test_disjoint_windows_never_open() -> None:
    fixed = parse_interval("2026-12-07T10:00Z/PT2H", NOW)  # a Monday
    check = check_window(SATURDAY_22, fixed, NOW)
    assert check.state is WindowState.OUTSIDE and check.next_open is None
    assert "does not open again" in check.describe()


def test_min_remaining_refuses_a_late_start() -> None:
    fixed = parse_interval("now/PT20M", NOW)
    check = check_window(None, fixed, NOW + timedelta(minutes=10))
    assert start_refusal(check, NOW, timedelta(minutes=15)) is None
    refusal = start_refusal(check, NOW + timedelta(minutes=10), timedelta(minutes=15))
    assert refusal is not None and "only 10 minute(s)" in refusal


def test_interval_helpers() -> None:
    a = Interval(start=NOW, end=NOW + timedelta(hours=2))
    b = Interval(start=NOW + timedelta(hours=1), end=NOW + timedelta(hours=3))
    assert a.intersect(b) == Interval(start=b.start, end=a.end)
    assert a.intersect(Interval(start=a.end, end=b.end)) is None
    assert a.remaining(NOW + timedelta(hours=5)) == timedelta(0)
