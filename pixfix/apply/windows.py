"""Change windows: when `apply` and `rollback` may start changing a device.

A device's window is its inventory `change_window` (a recurring window: a five-field cron line
for when it opens, a duration, an IANA time zone) intersected with `--window` (one ISO 8601
interval such as `2026-12-05T22:00+01:00/2026-12-06T02:00+01:00` or `now/PT2H`) when both
exist, else whichever exists. Everything here is a pure function of its arguments, the current
time included, so a test can ask about any moment.

The cron subset is the one change calendars use: `minute hour day-of-month month day-of-week`
with `*`, numbers, names (`jan`..`dec`, `sun`..`sat`), lists, ranges and steps (`*/15`,
`1-5`, `mon-fri`, `0,30`). As in Vixie cron, when both day fields are restricted a day matches
if either does (`0 22 1 * sat`: the first of the month and every Saturday). Cron lines are
read in the window's time zone: a start that does not exist on a daylight-saving spring-forward
day is skipped, and a start that happens twice on a fall-back day counts once (the first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from pixfix.errors import InputError
from pixfix.inventory.schema import ChangeWindow, format_duration

__all__ = [
    "CronSpec",
    "Interval",
    "WindowCheck",
    "WindowState",
    "check_window",
    "next_start",
    "occurrence_at",
    "parse_cron",
    "parse_duration",
    "parse_interval",
    "start_refusal",
    "validate_window",
]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (low, high, names) per field; day-of-week allows 7 for Sunday, as every cron does.
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
_ITEM = re.compile(r"(?P<range>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>\d+))?")
_DURATION = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?"
)
_HORIZON = timedelta(days=400)  # how far ahead to look for the next opening of a window


@dataclass(frozen=True, slots=True, kw_only=True)
class CronSpec:
    """A parsed cron line; weekdays count from 0 = Sunday (7 is folded into 0)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # the day-of-month field was `*`
    any_weekday: bool  # the day-of-week field was `*`

    def matches_date(self, day: date) -> bool:
        """Vixie cron's rule: with both day fields restricted, either one matching is enough."""
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday


def _number(text: str, names: tuple[str, ...], field: str, line: str) -> int:
    if text.isdigit():
        return int(text)
    if text in names:
        return names.index(text) + (1 if names is _MONTHS else 0)
    raise InputError(f"cron {line!r}: {text!r} is not a valid {field}")


def _field_values(text: str, index: int, line: str) -> frozenset[int]:
    field, low, high, names = _FIELDS[index]
    values: set[int] = set()
    for item in text.lower().split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise InputError(f"cron {line!r}: {item!r} is not a valid {field}")
        step = int(match["step"] or 1)
        span = match["range"]
        if span == "*":
            first, last = low, high
        else:
            first_text, _, last_text = span.partition("-")
            first = _number(first_text, names, field, line)
            last = _number(last_text, names, field, line) if last_text else first
            last = high if match["step"] and not last_text else last  # `5/10` means 5-max/10
        if not (low <= first <= last <= high) or step < 1:
            raise InputError(f"cron {line!r}: {item!r} is outside {field} {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse_cron(line: str) -> CronSpec:
    """Parse `minute hour day-of-month month day-of-week`.

    >>> spec = parse_cron("0 22 * * sat")
    >>> sorted(spec.hours), sorted(spec.weekdays)
    ([22], [6])
    """
    fields = line.split()
    if len(fields) != 5:
        raise InputError(f"cron {line!r}: needs 5 fields (minute hour day month weekday)")
    minutes, hours, days, months, weekdays = (
        _field_values(text, index, line) for index, text in enumerate(fields)
    )
    return CronSpec(
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=frozenset(day % 7 for day in weekdays),
        any_day=fields[2] == "*",
        any_weekday=fields[4] == "*",
    )


def _local_start(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime | None:
    """The wall-clock time in `zone`, or None when that time does not exist (spring forward)."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    if (back.hour, back.minute, back.date()) != (hour, minute, day):
        return None
    return local


def starts_between(
    spec: CronSpec, zone: ZoneInfo, low: datetime, high: datetime
) -> Iterator[datetime]:
    """Every moment the cron line fires in `zone` with `low <= moment < high`, in order."""
    day = low.astimezone(zone).date() - timedelta(days=1)
    last = high.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        if spec.matches_date(day):
            for hour in sorted(spec.hours):
                for minute in sorted(spec.minutes):
                    moment = _local_start(day, hour, minute, zone)
                    if moment is not None and low <= moment < high:
                        yield moment
        day += timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    """A half-open span of time `[start, end)`, both ends time-zone aware."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def remaining(self, moment: datetime) -> timedelta:
        return max(self.end - moment, timedelta(0))

    def intersect(self, other: Interval) -> Interval | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Interval(start=start, end=end) if start < end else None

    def text(self) -> str:
        return f"{_stamp(self.start)}/{_stamp(self.end)}"


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def occurrence_at(window: ChangeWindow, now: datetime) -> Interval | None:
    """The opening of a recurring window that `now` falls in (the latest one), or None."""
    spec, zone = parse_cron(window.cron), ZoneInfo(window.timezone)
    starts = list(starts_between(spec, zone, now - window.duration, now + timedelta(minutes=1)))
    inside = [s for s in starts if s <= now < s + window.duration]
    if not inside:
        return None
    return Interval(start=inside[-1], end=inside[-1] + window.duration)


def next_start(window: ChangeWindow, after: datetime) -> Interval | None:
    """The first opening of a recurring window starting after `after` (within about a year)."""
    spec, zone = parse_cron(window.cron), ZoneInfo(window.timezone)
    for start in starts_between(spec, zone, after + timedelta(microseconds=1), after + _HORIZON):
        return Interval(start=start, end=start + window.duration)
    return None


def validate_window(window: ChangeWindow) -> None:
    """Raise `InputError` for a cron line whose values are out of range (before any device)."""
    parse_cron(window.cron)


# ---- ISO 8601 intervals (`--window`) -------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration in weeks, days, hours, minutes, seconds (`PT2H`, `P1DT30M`).

    Years and months have no fixed length, so they are refused rather than guessed.

    >>> parse_duration("PT1H30M")
    datetime.timedelta(seconds=5400)
    """
    match = _DURATION.fullmatch(text.upper())
    if match is None or text.upper() in ("P", "PT") or text.upper().endswith("T"):
        raise InputError(
            f"--window: {text!r} is not an ISO 8601 duration in weeks, days, hours, minutes "
            "or seconds (e.g. PT2H, P1DT30M)"
        )
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    length = timedelta(
        weeks=parts["w"], days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"]
    )
    if not length:
        raise InputError(f"--window: the duration {text!r} is empty")
    return length


def _moment(text: str, now: datetime) -> datetime:
    if text.lower() == "now":
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--window: {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise InputError(f"--window: {text!r} has no UTC offset (add Z or +01:00, for example)")
    return moment


def parse_interval(text: str, now: datetime) -> Interval:
    """`START/END`, `START/DURATION` or `DURATION/END`; `now` may stand for either end.

    >>> now = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    >>> parse_interval("now/PT2H", now).text()
    '2026-12-05T21:00+00:00/2026-12-05T23:00+00:00'
    """
    first, slash, second = text.strip().partition("/")
    if not slash or "/" in second or not first or not second:
        raise InputError(f"--window {text!r}: expected START/END, START/DURATION or DURATION/END")
    if first.upper().startswith("P") and second.upper().startswith("P"):
        raise InputError(f"--window {text!r}: give a start or an end, not two durations")
    if first.upper().startswith("P"):
        end = _moment(second, now)
        start = end - parse_duration(first)
    else:
        start = _moment(first, now)
        is_length = second.upper().startswith("P")
        end = start + parse_duration(second) if is_length else _moment(second, now)
    if end <= start:
        raise InputError(f"--window {text!r}: the end is not after the start")
    return Interval(start=start, end=end)


# ---- the window of one device --------------------------------------------------------------


class WindowState(Enum):
    """Where a device stands against its window at one moment."""

    OPEN = "open"
    NONE = "none"  # neither an inventory window nor --window
    OUTSIDE = "outside"


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowCheck:
    """A device's window at one moment: open (with its span), outside (with the next opening
    when one is known), or none at all."""

    state: WindowState
    window: Interval | None = None
    next_open: Interval | None = None
    source: str = ""  # which windows were combined, for the record

    def describe(self) -> str:
        if self.state is WindowState.NONE:
            return "no change window: none in the inventory and no --window"
        if self.state is WindowState.OPEN and self.window is not None:
            return f"inside the change window {self.window.text()} ({self.source})"
        if self.next_open is not None:
            return f"outside the change window ({self.source}); next opens {self.next_open.text()}"
        return f"outside the change window ({self.source}); it does not open again"


def _next_common(recurring: ChangeWindow, fixed: Interval, now: datetime) -> Interval | None:
    """The next span where a recurring window overlaps a fixed interval, after `now`."""
    after = max(now, fixed.start - recurring.duration)
    while after < fixed.end:
        found = next_start(recurring, after)
        if found is None or found.start >= fixed.end:
            return None
        common = found.intersect(fixed)
        if common is not None and common.end > now:
            return common
        after = found.start
    return None


def _fixed_only(fixed: Interval, now: datetime) -> WindowCheck:
    source = f"--window {fixed.text()}"
    if fixed.contains(now):
        return WindowCheck(state=WindowState.OPEN, window=fixed, source=source)
    upcoming = fixed if fixed.start > now else None
    return WindowCheck(state=WindowState.OUTSIDE, next_open=upcoming, source=source)


def check_window(
    recurring: ChangeWindow | None, fixed: Interval | None, now: datetime
) -> WindowCheck:
    """Combine a device's inventory window and `--window` (intersected when both exist)."""
    if recurring is None:
        return _fixed_only(fixed, now) if fixed is not None else WindowCheck(state=WindowState.NONE)
    source = f"inventory {recurring.cron!r} for {format_duration(recurring.duration)} in "
    source += recurring.timezone
    current = occurrence_at(recurring, now)
    if fixed is None:
        if current is not None:
            return WindowCheck(state=WindowState.OPEN, window=current, source=source)
        upcoming = next_start(recurring, now)
        return WindowCheck(state=WindowState.OUTSIDE, next_open=upcoming, source=source)
    source = f"{source} and --window {fixed.text()}"
    common = current.intersect(fixed) if current is not None else None
    if common is not None and common.contains(now):
        return WindowCheck(state=WindowState.OPEN, window=common, source=source)
    later = common is not None and common.start > now
    upcoming = common if later else _next_common(recurring, fixed, now)
    return WindowCheck(state=WindowState.OUTSIDE, next_open=upcoming, source=source)


def start_refusal(check: WindowCheck, now: datetime, min_remaining: timedelta) -> str | None:
    """Why a device may not start now (None: it may): no window, outside it, or too little left.

    A device already started is never stopped by its window: this is asked only before one.
    """
    if check.state is not WindowState.OPEN or check.window is None:
        return check.describe()
    left = check.window.remaining(now)
    if left < min_remaining:
        minutes = int(left.total_seconds() // 60)
        wanted = int(min_remaining.total_seconds() // 60)
        return (
            f"only {minutes} minute(s) of the change window {check.window.text()} left "
            f"(--min-remaining {wanted})"
        )
    return None
