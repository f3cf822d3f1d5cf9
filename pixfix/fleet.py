"""Run one job per device over a fleet: bounded workers, progress, one outcome per device.

A job must not raise for device trouble: it returns that device's error outcome, so one bad
device never stops the rest of the fleet (see `pixfix.audit.live.collect_host`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Protocol, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")
R = TypeVar("R")


class Reporter(Protocol):
    def start(self, total: int) -> None: ...
    def done(self, label: str, outcome: str) -> None: ...
    def finish(self) -> None: ...


class PlainReporter:
    """One line per finished device on stderr (no terminal: CI logs, pipes)."""

    def __init__(self) -> None:
        self._count = 0
        self._total = 0

    def start(self, total: int) -> None:
        self._total = total

    def done(self, label: str, outcome: str) -> None:
        self._count += 1
        print(f"[{self._count}/{self._total}] {label}: {outcome}", file=sys.stderr, flush=True)

    def finish(self) -> None:
        return None


class BarReporter:
    """A rich progress bar on the terminal (stderr), cleared at the end."""

    def __init__(self) -> None:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        self._progress = Progress(*columns, console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task("auditing", total=0)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)
        self._progress.start()

    def done(self, label: str, outcome: str) -> None:
        self._progress.update(self._task, advance=1, description=f"{label}: {outcome}")

    def finish(self) -> None:
        self._progress.stop()


class QuietReporter:
    def start(self, total: int) -> None:
        return None

    def done(self, label: str, outcome: str) -> None:
        return None

    def finish(self) -> None:
        return None


def reporter_for(*, quiet: bool) -> Reporter:
    if quiet:
        return QuietReporter()
    return BarReporter() if sys.stderr.isatty() else PlainReporter()


def run_each(
    items: Sequence[T],
    job: Callable[[T], R],
    *,
    workers: int,
    on_done: Callable[[T, R], None] | None = None,
) -> list[R]:
    """Run `job` on every item with at most `workers` at once; results in input order.

    The one worker pool of pixfix (audit, plan, apply and the probe all run through it);
    `on_done` is called in the calling thread as each item finishes, in finishing order.
    """
    if not items:
        return []
    results: dict[int, R] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        futures = {pool.submit(job, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_done is not None:
                on_done(items[index], results[index])
    return [results[i] for i in range(len(items))]


def run_fleet(
    items: Sequence[T],
    job: Callable[[T], R],
    *,
    workers: int,
    label: Callable[[T], str],
    outcome: Callable[[R], str],
    reporter: Reporter,
) -> list[R]:
    """`run_each` with one progress line per item (its label and outcome)."""
    reporter.start(len(items))
    try:
        return run_each(
            items,
            job,
            workers=workers,
            on_done=lambda item, result: reporter.done(label(item), outcome(result)),
        )
    finally:
        reporter.finish()
