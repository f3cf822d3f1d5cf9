"""The record of a run while it goes on, and when it is stopped at once.

result.json is written when the run starts (every device with something to send `pending`),
again as each device ends, and at the end (`pixfix.apply.command.execute`). A run stopped at
once (a second Ctrl-C) has its record completed from its journal here, as `pixfix show` and
`pixfix rollback` complete the record of a run that was killed (`pixfix.store.journal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pixfix.apply.interrupt import Stop
from pixfix.apply.model import DeviceRecord, Outcome
from pixfix.apply.report import RunHeader, result_document
from pixfix.plan.model import PlanEntry
from pixfix.store.journal import label_of, replay, settle
from pixfix.store.run_dir import RunDir, read_journal


class LiveRecord:
    """The run's record while it goes on: result.json rewritten as each device ends, with the
    devices not finished yet as `pending` (a stopped run is completed from its journal)."""

    def __init__(
        self,
        run: RunDir,
        header: RunHeader,
        entries: Sequence[PlanEntry],
        records: Sequence[DeviceRecord],
    ) -> None:
        self.run, self.header = run, header
        self.records = {(r.name, r.context): r for r in records}
        self.order = [(e.name, e.context) for e in entries]

    def ordered(self) -> list[DeviceRecord]:
        return [self.records[key] for key in self.order]

    def note(self, record: DeviceRecord) -> None:
        self.records[(record.name, record.context)] = record
        self.write()

    def write(self) -> None:
        self.run.write_result(result_document(self.header, self.ordered(), None))

    def stop_now(self, stop: Stop, finished: str) -> list[str]:
        """The record of a run stopped at once (second signal): devices in flight from the
        journal; returns what the user must hear about them."""
        header = replace(self.header, finished_at=finished)
        running = result_document(header, self.ordered(), None)
        journal = replay(read_journal(self.run.path))
        document = settle(running, journal, run=str(self.run.path))
        document |= {"status": "interrupted", "exit_code": stop.exit_code}
        self.run.write_result(document)
        self.run.log({"event": "run stopped at once", "signal": stop.name})
        lines = [f"{stop.name} again: stopped at once; record in {self.run.path}"]
        for item in document["devices"]:
            if item.get("status") == Outcome.INTERRUPTED.value:
                lines.append(f"{label_of(item)}: {item.get('reason')}")
                lines += [f"  {step}" for step in item.get("manual", [])]
        return lines
