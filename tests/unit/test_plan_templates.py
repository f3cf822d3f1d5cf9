"""Remediation templates: one per train and mode with a rollback twin; errors name file + line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pixfix.audit.verdict import audit_config
from pixfix.errors import TemplateError
from pixfix.model import DeviceResult
from pixfix.plan.entry import DeviceMeta, Mode, PlanEntry, Reload, plan_entry
from pixfix.plan.render import remediation_dir
from pixfix.platforms import FACTS, rollback_template

PIX6 = (
    "\n".join(
        [
            "PIX Version 6.3(5)",
            "fixup protocol ftp 21",
            "fixup protocol smtp 25",
            "Cryptochecksum:00",
            ": end",
        ]
    )
    + "\n"
)


def test_every_train_and_mode_has_a_template_and_its_rollback_twin() -> None:
    named = set()
    for facts in FACTS.values():
        assert "disable" in facts.templates
        for template in facts.templates.values():
            named |= {template, rollback_template(template)}
    shipped = {p.name for p in remediation_dir().glob("*.j2")}
    assert shipped == named


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site's editable copy of the remediation templates."""
    folder = tmp_path / "remediation"
    shutil.copytree(remediation_dir(), folder)
    return folder


def plan_pix6(site: Path) -> PlanEntry:
    result = DeviceResult.from_verdict("pix1", audit_config(PIX6))
    return plan_entry(
        result,
        PIX6,
        DeviceMeta(transport="telnet"),
        mode=Mode.DISABLE,
        reload=Reload.NEVER,
        templates=site,
    )


def test_a_syntax_error_names_the_template_and_line(site: Path) -> None:
    path = site / "pix_fixup_disable.j2"
    path.write_text("configure terminal\n{% for fixup in fixups %}\nno {{ fixup.ports\nexit\n")
    with pytest.raises(TemplateError, match=r"pix_fixup_disable\.j2, line \d") as caught:
        plan_pix6(site)
    assert caught.value.exit_code == 2


def test_an_undefined_variable_names_the_template_and_line(site: Path) -> None:
    path = site / "pix_fixup_disable_rollback.j2"
    path.write_text(
        "configure terminal\n{% for fixup in fixups %}\n"
        "fixup protocol smtp {{ fixup.port }}\n{% endfor %}\nexit\n"
    )
    with pytest.raises(TemplateError, match=r"pix_fixup_disable_rollback\.j2, line 3: .*port"):
        plan_pix6(site)


def test_a_missing_template_is_an_input_error(site: Path) -> None:
    (site / "pix_fixup_disable.j2").unlink()
    with pytest.raises(TemplateError, match=r"pix_fixup_disable\.j2 not found"):
        plan_pix6(site)


def test_a_hand_edited_template_cannot_smuggle_commands(site: Path) -> None:
    path = site / "pix_fixup_disable.j2"
    path.write_text(path.read_text().replace("exit", "write erase\nexit"))
    entry = plan_pix6(site)
    assert entry.planned is False
    assert entry.commands == ()
    assert "'write erase': is not a remediation command" in entry.notes[-1]


def test_a_template_that_does_not_fix_fails_the_device(site: Path) -> None:
    path = site / "pix_fixup_disable.j2"
    path.write_text("configure terminal\nno fixup protocol smtp 2525\nexit\n")
    entry = plan_pix6(site)
    assert entry.planned is False
    assert "predicted configuration audits exposed" in entry.notes[-1]


def test_a_template_that_forgets_the_context_change_fails_the_device(site: Path) -> None:
    path = site / "mpf_disable.j2"
    path.write_text(path.read_text().replace("changeto context {{ context }}", ""))
    text = "\n".join(
        [
            "ASA Version 9.12(4) <context>",
            "policy-map global_policy",
            " class inspection_default",
            "  inspect esmtp ",
            "service-policy global_policy global",
            ": end",
        ]
    )
    result = DeviceResult.from_verdict("fw", audit_config(text), context="mail")
    entry = plan_entry(
        result,
        text,
        DeviceMeta(transport="ssh"),
        mode=Mode.DISABLE,
        reload=Reload.NEVER,
        templates=site,
    )
    assert not entry.planned and entry.commands == ()
    assert "must start with ['changeto context mail']" in entry.notes[-1]
