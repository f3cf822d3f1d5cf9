"""The dashboard's content (pixfix.history.dashboard), from histories recorded in process."""

from __future__ import annotations

from pathlib import Path

from pixfix.history.dashboard import dashboard_view, main_scope, render_dashboard
from pixfix.history.db import AuditMeta, History
from pixfix.history.snapshot import Snapshot
from pixfix.model import Status

NIGHTLY, ADHOC = "inventory /etc/fleet.yaml", "inventory /etc/fleet.yaml --limit fw1"


def meta(started: float, scope: str = NIGHTLY) -> AuditMeta:
    return AuditMeta(started=started, seconds=1.0, source="live", scope=scope,
                     inventory="fleet.yaml", version="0.1.0")  # fmt: skip


def snap(name: str, status: Status, context: str | None = None) -> Snapshot:
    lines = ("inspect esmtp",) if status is Status.EXPOSED else ()
    return Snapshot(name=name, context=context, status=status, running=status, lines=lines,
                    platform="asa", software="9.12(4)", fingerprint=f"{status.value}",
                    groups=("dmz",))  # fmt: skip


def test_a_unit_down_for_a_night_keeps_its_contexts_open_regression(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as db:
        db.record(meta(1.0), [snap("fwm", Status.COMPLIANT, "mail"), snap("fw1", Status.TUNED)])
        db.record(meta(2.0), [snap("fwm", Status.EXPOSED, "mail"), snap("fw1", Status.TUNED)])
        db.record(meta(3.0), [snap("fwm", Status.ERROR), snap("fw1", Status.TUNED)])
        view = dashboard_view(db)
    devices = {d.label: d for d in view.devices}
    assert set(devices) == {"fwm/mail", "fw1"}  # the unit's one error entry stands for it
    mail = devices["fwm/mail"]
    assert mail.latest.status is Status.ERROR
    assert mail.regression is not None and mail.regression.audit_id == 2
    assert [r.label for r in view.regressions] == ["fwm/mail"]


def test_the_page_shows_the_nightly_scope_whatever_ran_last(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.db") as db:
        for night in range(3):
            db.record(meta(float(night)), [snap("fw1", Status.TUNED), snap("fw2", Status.EXPOSED)])
        db.record(meta(10.0, ADHOC), [snap("fw1", Status.TUNED)])
        assert main_scope(db.audits()) == NIGHTLY
        view = dashboard_view(db)
        assert (view.scope, len(view.audits), view.other_scopes) == (NIGHTLY, 3, 1)
        page = render_dashboard(view, generated=0.0)
    assert "fw2" in page and "3 audits of" in page


def test_device_text_is_escaped_on_the_page(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>"
    with History.open(tmp_path / "h.db") as db:
        bad = Snapshot(name=f"fw{hostile}", status=Status.EXPOSED, running=Status.EXPOSED,
                       lines=(f"inspect esmtp {hostile}",), platform="asa",
                       software=f"9.8{hostile}", groups=(hostile,))  # fmt: skip
        db.record(meta(1.0, scope=hostile), [bad])
        page = render_dashboard(dashboard_view(db), generated=0.0)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
