"""The probe against the lab's SMTP endpoints: its verdict follows each device's live config.

Each lab device's `mx` is the lab mail server behind an emulated Mailguard that reads the
device's running configuration on every new connection, so removing the inspection over
netmiko must turn `mailguard` into `clean`, as it does on a real firewall.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pixfix.audit.live import CollectOptions, collect_host
from pixfix.inventory.load import Endpoint, load_inventory
from pixfix.model import DeviceResult, Train
from pixfix.platforms import FACTS
from pixfix.probe.classify import Exchange, Step
from pixfix.probe.judge import ANOTHER_DEVICE, probe_extra
from pixfix.probe.smtp import ProbeResult, probe
from pixfix.probe.target import Target
from pixfix.transport.connect import open_session

pytestmark = pytest.mark.timeout(180)

TIMEOUT = 5.0
PIX_FIXUP = ["masked-banner", "ehlo-blocked", "unknown-command-ok"]
ASA_DEFAULT = ["masked-banner", "starttls-blocked", "extensions-masked", "command-masked"]
ASA_TUNED = ["extensions-masked", "command-masked"]
BEFORE = {
    # name: (verdict, signatures, a line of evidence a user would recognise)
    "lab-pix41": ("mailguard", PIX_FIXUP, "220 SMTP/cmap_____ read"),  # PIX 4 mailhost proxy
    "lab-pix63": ("mailguard", PIX_FIXUP, "EHLO [127.0.0.1] -> 250 OK"),
    "lab-pix63-clean": ("clean", [], None),
    "lab-pix70": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
    "lab-asa84": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
    "lab-asa98-iface": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
    "lab-asa916-clean": ("clean", [], None),
    "lab-asa918-tuned": ("inspected", ASA_TUNED, "250 XXXXXXXA"),  # CHUNKING still masked
    "lab-asa-multi": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),  # mail context
    "lab-asa-standby": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
    "lab-fwsm31": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
    # both addresses of the pair: mail passes the active unit whichever address its mx names
    "lab-asa-pair": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
    "lab-asa-pair-stby": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
    "lab-asa-aa": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),  # mail context
    "lab-asa-reporting": ("mailguard", ASA_DEFAULT, "EHLO reply: 250-XXXXXXXA"),
}
MPF_CLASS = ["policy-map global_policy", "class inspection_default"]
REMEDIATIONS = {
    # name: (context to change to, train whose error pattern guards the commands, the line the
    # fix removes); each test puts the line back, so the lab stays as started for the others
    "lab-pix63": (None, Train.PIX_FIXUP, [], "fixup protocol smtp 25"),  # 2525 stays inspected
    "lab-asa84": (None, Train.MPF, MPF_CLASS, "inspect esmtp"),
    "lab-fwsm31": (None, Train.FWSM_MPF, MPF_CLASS, "inspect smtp"),
    "lab-asa-multi": ("mail", Train.MPF, MPF_CLASS, "inspect esmtp"),
}


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    """The default fleet; a test that changes a device puts it back as it was."""
    return lab_factory()


def probe_mx(lab: Any, name: str, *, char_at_a_time: bool = False) -> ProbeResult:
    host, port = lab.mx(name)
    return probe(
        Target(host=host, port=port, name=name), timeout=TIMEOUT, char_at_a_time=char_at_a_time
    )


def signature_names(result: ProbeResult) -> list[str]:
    return [signature.name.value for signature in result.signatures]


def evidence(result: ProbeResult) -> list[str]:
    return [line for signature in result.signatures for line in signature.evidence]


@pytest.mark.parametrize("name", list(BEFORE))
def test_verdict_and_signatures_follow_the_starting_config(lab: Any, name: str) -> None:
    verdict, signatures, seen = BEFORE[name]
    result = probe_mx(lab, name)
    got = (result.verdict.value, signature_names(result))
    assert got == (verdict, signatures), evidence(result)
    if seen is not None:
        assert seen in evidence(result)


@pytest.mark.parametrize("name", list(REMEDIATIONS))
def test_removing_the_inspection_makes_the_mx_clean_and_back(lab: Any, name: str) -> None:
    assert probe_mx(lab, name).verdict.value == "mailguard"
    context, train, block, line = REMEDIATIONS[name]
    with open_session(lab.params(name)) as conn:
        if context is not None:
            conn.send_command(f"changeto context {context}")

        def configure(*lines: str) -> None:
            conn.send_config_set([*block, *lines], error_pattern=FACTS[train].error_pattern)
            assert "(config" not in conn.find_prompt()  # config mode left (`exit` on PIX 6)

        configure(f"no {line}")
        try:
            after = probe_mx(lab, name)
            assert lab.status()[name]["smtp_inspection"] == "none"
        finally:
            configure(line)
    assert (after.verdict.value, signature_names(after)) == ("clean", [])
    greeting = after.transcript[0]
    assert greeting.lines == ("220 mail.lab.example ESMTP Postfix (pixfix lab)",)  # unmasked
    again = probe_mx(lab, name)
    assert (again.verdict.value, signature_names(again)) == BEFORE[name][:2]


def test_probe_cli_on_the_lab_inventory(lab: Any) -> None:
    run = lab.cli("probe", "-i", str(lab.inventory), "--format", "json", "--timeout", "5",
                  check=False)  # fmt: skip
    assert run.returncode == 1, run.stderr
    entries = json.loads(run.stdout)
    assert [entry["name"] for entry in entries] == list(lab.hosts)
    assert {e["name"]: e["verdict"] for e in entries} == {n: v[0] for n, v in BEFORE.items()}
    for entry in entries:
        assert entry["target"] == lab.hosts[entry["name"]]["mx"]
        assert entry["transcript"][0]["step"] == "greeting"


@pytest.mark.parametrize(
    ("name", "whole_line", "char_at_a_time"),
    [
        ("lab-asa84", "mailguard", "mailguard"),  # default map: EHLO itself now refused
        ("lab-asa918-tuned", "inspected", "mailguard"),  # a false alarm on a tuned firewall
        ("lab-asa916-clean", "clean", "clean"),  # no firewall inspection: nothing to garble
    ],
)
def test_a_char_at_a_time_client_gets_its_ehlo_garbled(
    lab: Any, name: str, whole_line: str, char_at_a_time: str
) -> None:
    whole = probe_mx(lab, name)
    typed = probe_mx(lab, name, char_at_a_time=True)
    assert (whole.verdict.value, typed.verdict.value) == (whole_line, char_at_a_time)
    assert ehlo_of(whole).lines[0] == "250-mail.lab.example"
    assert "ehlo-blocked" not in signature_names(whole)
    if whole_line == "clean":
        assert ehlo_of(typed).lines == ehlo_of(whole).lines
        return
    # the firewall saw `EHLO [127.0.0.1]` arrive in pieces and passed it on as X's
    assert re.fullmatch(r'500 .*"X{16}".*', ehlo_of(typed).lines[0]), ehlo_of(typed).lines
    assert "ehlo-blocked" in signature_names(typed)


def ehlo_of(result: ProbeResult) -> Exchange:
    return next(exchange for exchange in result.transcript if exchange.step is Step.EHLO)


def audit_lab(lab: Any, *names: str) -> tuple[list[DeviceResult], dict[str, Endpoint]]:
    """Audit lab hosts (all by default) over SSH/telnet as `pixfix audit` does; and their mx."""
    hosts = [h for h in load_inventory(lab.inventory).hosts if not names or h.name in names]
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        per_host = pool.map(
            lambda host: [c.result for c in collect_host(host, CollectOptions(timeout=15.0))], hosts
        )
        results = [result for host_results in per_host for result in host_results]
    return results, {host.name: host.mx for host in hosts if host.mx is not None}


def test_audit_probe_agrees_on_every_default_device(lab: Any) -> None:
    results, mx = audit_lab(lab)
    assert {r.status.value for r in results} == {"exposed", "tuned", "compliant"}
    extra = probe_extra(results, mx, workers=11, timeout=TIMEOUT)
    assert sorted(extra) == sorted(result.label for result in results)
    assert "lab-asa-multi/admin" in extra and "lab-asa-multi/mail" in extra
    probes: dict[str, Any] = {label: entry["probe"] for label, entry in extra.items()}
    assert {label: p["agreement"] for label, p in probes.items()} == dict.fromkeys(extra, "agrees")
    assert probes["lab-asa-multi/admin"] == probes["lab-asa-multi/mail"]
    assert probes["lab-asa-multi/admin"]["note"].startswith("judged against lab-asa-multi/mail")
    for label, entry in probes.items():
        name = label.split("/")[0]
        assert (entry["verdict"], entry["signatures"]) == BEFORE[name][:2], label
        assert entry["target"] == lab.hosts[name]["mx"]


def test_audit_probe_reports_another_device_in_the_path(lab: Any) -> None:
    """A compliant firewall whose mail passes a Mailguard elsewhere: lab-asa84 stands in for it."""
    results, _ = audit_lab(lab, "lab-asa916-clean")
    assert [r.status.value for r in results] == ["compliant"]
    host, port = lab.mx("lab-asa84")
    mx = {"lab-asa916-clean": Endpoint(host=host, port=port)}
    extra: Any = probe_extra(results, mx, workers=1, timeout=TIMEOUT)
    entry = extra["lab-asa916-clean"]["probe"]
    assert (entry["verdict"], entry["agreement"]) == ("mailguard", "disagrees")
    assert ANOTHER_DEVICE in entry["note"]
