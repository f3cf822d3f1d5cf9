"""`pixfix audit` against the lab: exact verdicts, read-only sessions, faults as device errors."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(240)

EXPECTED = {
    ("lab-pix41", None): ("exposed", ["mailhost 192.0.2.25 10.1.1.25"]),
    ("lab-pix63", None): ("exposed", ["fixup protocol smtp 25", "fixup protocol smtp 2525"]),
    ("lab-pix63-clean", None): ("compliant", []),
    ("lab-pix70", None): ("exposed", ["inspect esmtp"]),
    ("lab-asa84", None): ("exposed", ["inspect esmtp"]),
    ("lab-asa98-iface", None): ("exposed", ["inspect esmtp"]),
    ("lab-asa916-clean", None): ("compliant", []),
    ("lab-asa918-tuned", None): ("tuned", ["inspect esmtp MAIL-MAP"]),
    ("lab-asa-multi", "admin"): ("compliant", []),
    ("lab-asa-multi", "mail"): ("exposed", ["inspect esmtp"]),
    ("lab-asa-standby", None): ("exposed", ["inspect esmtp"]),
    ("lab-fwsm31", None): ("exposed", ["inspect smtp"]),
    ("lab-asa-pair", None): ("exposed", ["inspect esmtp"]),
    ("lab-asa-pair-stby", None): ("exposed", ["inspect esmtp"]),
    ("lab-asa-aa", "admin"): ("compliant", []),
    ("lab-asa-aa", "mail"): ("exposed", ["inspect esmtp"]),
    ("lab-asa-aa", "dmz"): ("exposed", ["inspect esmtp"]),
    ("lab-asa-reporting", None): ("exposed", ["inspect esmtp"]),
}


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Any:
    return lab_factory()


def test_audit_gives_the_lab_states_and_changes_nothing(lab: Any, tmp_path: Any) -> None:
    run = lab.cli("audit", "-i", str(lab.inventory), "--format", "json", "--save-configs",
                  str(tmp_path / "cfg"), check=False)  # fmt: skip
    assert run.returncode == 1, run.stderr
    devices = json.loads(run.stdout)["devices"]
    got = {
        (d["name"], d["context"]): (d["status"], [f["line"] for f in d["findings"]])
        for d in devices
    }
    assert got == EXPECTED
    by_name = {(d["name"], d["context"]): d for d in devices}
    assert by_name[("lab-asa-standby", None)]["role"] == "standby"
    assert by_name[("lab-asa98-iface", None)]["findings"][0]["scope"] == "interface outside"
    assert by_name[("lab-asa98-iface", None)]["findings"][0]["ports"] == [25]
    assert by_name[("lab-pix70", None)]["findings"][0]["policy"] == "asa_global_fw_policy"
    assert all(s["config_sessions"] == 0 and s["saves"] == 0 for s in lab.status().values())
    saved = sorted(p.name for p in (tmp_path / "cfg").iterdir())
    assert "lab-asa-multi@mail.cfg" in saved and "lab-pix63.cfg" in saved
    assert all((tmp_path / "cfg" / name).stat().st_mode & 0o777 == 0o600 for name in saved)
    for secret in ("labpass-7f3a", "labenable-92ce"):
        assert secret not in run.stdout + run.stderr


def test_limit_selects_hosts(lab: Any) -> None:
    run = lab.cli("audit", "-i", str(lab.inventory), "--format", "json", "--limit", "lab-asa9*",
                  "--limit", "lab-pix63-clean", check=False)  # fmt: skip
    names = sorted({d["name"] for d in json.loads(run.stdout)["devices"]})
    assert names == ["lab-asa916-clean", "lab-asa918-tuned", "lab-asa98-iface", "lab-pix63-clean"]
    assert run.returncode == 1


@pytest.fixture(scope="module")
def faulty_lab(lab_factory: Any) -> Any:
    return lab_factory(
        "--fault", "lab-asa84:refuse",
        "--fault", "lab-asa916-clean:silent",
        "--fault", "lab-pix63:wrong_credentials",
        "--fault", "lab-asa918-tuned:wrong_credentials",
        "--fault", "lab-fwsm31:slow_ms=20000",
    )  # fmt: skip


def test_connection_faults_end_as_that_devices_error(faulty_lab: Any) -> None:
    start = time.monotonic()
    args = [
        "-i",
        str(faulty_lab.inventory),
        "--format",
        "json",
        "--timeout",
        "6",
        "--workers",
        "12",
    ]
    run = faulty_lab.cli("audit", *args, check=False)
    elapsed = time.monotonic() - start
    assert run.returncode == 3, run.stderr
    devices = {(d["name"], d["context"]): d for d in json.loads(run.stdout)["devices"]}
    errors = {key[0]: d["error"] for key, d in devices.items() if d["status"] == "error"}
    assert set(errors) == {
        "lab-asa84",
        "lab-asa916-clean",
        "lab-pix63",
        "lab-asa918-tuned",
        "lab-fwsm31",
    }
    assert "refused" in errors["lab-asa84"]
    assert (
        "authentication failed" in errors["lab-pix63"]
        and "authentication failed" in errors["lab-asa918-tuned"]
    )
    assert all("\n" not in e and e for e in errors.values())
    assert devices[("lab-pix63-clean", None)]["status"] == "compliant"
    assert devices[("lab-asa-multi", "mail")]["status"] == "exposed"
    assert elapsed < 60  # every host ended within its own timeout, in parallel


def test_offline_audit_of_saved_configs(tmp_path: Any, lab: Any) -> None:
    (tmp_path / "fw-a.cfg").write_text(
        "PIX Version 6.3(5)\nfixup protocol smtp 25\nCryptochecksum:00\n: end\n"
    )
    (tmp_path / "fw-b.cfg").write_text("hostname nothing\n")
    run = lab.cli("audit", "--offline", str(tmp_path), "--format", "json", check=False)
    devices = {d["name"]: d for d in json.loads(run.stdout)["devices"]}
    assert devices["fw-a"]["status"] == "exposed" and devices["fw-b"]["status"] == "error"
    assert run.returncode == 3


def test_audit_probe_shows_the_mx_verdict_next_to_the_config_verdict(lab: Any) -> None:
    run = lab.cli("audit", "-i", str(lab.inventory), "--format", "json", "--probe", check=False)
    assert run.returncode == 1, run.stderr
    devices = {(d["name"], d["context"]): d for d in json.loads(run.stdout)["devices"]}
    assert devices[("lab-pix63", None)]["probe"]["verdict"] == "mailguard"
    assert devices[("lab-asa918-tuned", None)]["probe"]["verdict"] == "inspected"
    assert devices[("lab-asa916-clean", None)]["probe"]["verdict"] == "clean"
    assert devices[("lab-asa-multi", "mail")]["probe"]["verdict"] == "mailguard"
    assert {d["probe"]["agreement"] for d in devices.values()} == {"agrees"}
