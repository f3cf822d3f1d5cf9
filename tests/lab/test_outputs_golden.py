"""Every output format of audit, plan and a run, byte for byte, on the lab and on the corpus.

These files were made before the code moved into stage packages and must not change when code
moves: what a user or a script reads is the contract. Only what differs from run to run is
replaced before comparing (times, run ids, durations, the lab's ports, temporary paths, and the
hashes that cover a time). Regenerate with `pytest --update-golden` only for an intended change,
and review the diff.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labtools import run_pixfix

pytestmark = pytest.mark.timeout(400)

HERE = Path(__file__).resolve().parents[1] / "golden" / "outputs"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real"
AUDIT_FORMATS = {"table": "txt", "json": "json", "csv": "csv", "junit": "xml", "markdown": "md"}
PLAN_FILES = ("plan.json", "report.md", "report.html")
RUN_FILES = ("result.json", "report.md", "report.html")

_VARYING = (
    (re.compile(r"\d{8}T\d{6}Z-[0-9a-f]+"), "<run-id>"),
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC)?"),
        "<time>",
    ),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "<sha-short>"),
    (re.compile(r"\b[0-9a-f]{16}\b"), "<sha-short>"),
    (re.compile(r'("(?:duration|elapsed|seconds)[a-z_]*"\s*:\s*)[0-9.]+'), r"\1<s>"),
    (re.compile(r"\b\d+\.\d+ ?s\b"), "<s>"),
    (re.compile(r'(time=")[0-9.]+(")'), r"\1<s>\2"),
)


def normalise(text: str, ports: dict[int, str], folder: Path) -> str:
    """Replace what differs between two identical runs: times, ids, ports, the work folder."""
    text = text.replace(str(folder), "<work>")
    for pattern, repl in _VARYING:
        text = pattern.sub(repl, text)
    for port, name in sorted(ports.items(), reverse=True):
        text = re.sub(rf"\b{port}\b", f"<port:{name}>", text)
    return text


class Outputs:
    """Runs `python -m pixfix` in one work folder and keeps every text it produced, normalised."""

    def __init__(self, folder: Path, lab: Any) -> None:
        self.folder = folder
        self.lab = lab
        self.ports: dict[int, str] = {}
        self.literals: dict[str, str] = {}
        self.texts: dict[str, str] = {}

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        lab_dir = None if self.lab is None else self.lab.state_dir
        return run_pixfix(*args, folder=self.folder, lab_dir=lab_dir)

    def keep(self, name: str, text: str) -> None:
        for literal, placeholder in self.literals.items():
            text = text.replace(literal, placeholder)
        self.texts[name] = normalise(text, self.ports, self.folder)

    def audit(self, prefix: str, source: list[str]) -> None:
        for fmt, ext in AUDIT_FORMATS.items():
            done = self.run("audit", *source, "--format", fmt, "-q")
            assert done.returncode in (0, 1, 3), done.stderr
            self.keep(f"{prefix}-audit.{ext}", f"exit {done.returncode}\n{done.stdout}")

    def plan(self, prefix: str, source: list[str], out: str) -> Path:
        done = self.run("plan", *source, "--out", out, "-q")
        assert done.returncode in (0, 3), done.stderr
        plan_id = json.loads((self.folder / out / "plan.json").read_text())["plan_id"]
        self.literals[plan_id] = "<plan-id>"
        self.keep(f"{prefix}-plan.stdout", f"exit {done.returncode}\n{done.stdout}")
        for name in PLAN_FILES:
            self.keep(f"{prefix}-plan-{name}", (self.folder / out / name).read_text())
        return self.folder / out


@pytest.fixture(scope="module")
def corpus_outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not CORPUS.is_dir():
        pytest.fail(f"real corpus not found at {CORPUS} (shared/ beside the checkout)")
    out = Outputs(tmp_path_factory.mktemp("corpus"), None)
    source = ["--offline", str(CORPUS)]
    out.audit("corpus", source)
    out.plan("corpus", source, "plan")
    yield {k: v.replace(str(CORPUS), "<corpus>") for k, v in out.texts.items()}


@pytest.fixture(scope="module")
def lab_outputs(lab_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    lab = lab_factory("--minute-seconds", "30", "--boot-seconds", "1")
    out = Outputs(tmp_path_factory.mktemp("outputs"), lab)
    out.literals[str(lab.inventory.parent.parent)] = "<lab>"
    for name, host in lab.hosts.items():
        out.ports[int(host["port"])] = name
        if host.get("mx"):
            out.ports[int(str(host["mx"]).rsplit(":", 1)[1])] = f"{name}-mx"
    source = ["-i", str(lab.inventory)]
    out.audit("lab", source)
    plan = out.plan("lab", source, "plan")
    assert out.run("approve", plan, "--by", "ann").returncode == 0
    done = out.run("apply", plan, "--out", "runs", "-q", "--yes", "--window", "now/PT2H")
    assert done.returncode == 1, done.stdout + done.stderr  # two standbys left exposed
    out.keep("lab-apply.stdout", f"exit {done.returncode}\n{done.stdout}")
    run = next((out.folder / "runs").iterdir())
    for name in RUN_FILES:
        out.keep(f"lab-run-{name}", (run / name).read_text())
    return out.texts


def _names(prefix: str) -> list[str]:
    audits = [f"{prefix}-audit.{ext}" for ext in AUDIT_FORMATS.values()]
    plans = [f"{prefix}-plan.stdout", *(f"{prefix}-plan-{n}" for n in PLAN_FILES)]
    return audits + plans


@pytest.mark.parametrize("name", _names("corpus"))
def test_corpus_output_is_unchanged(name: str, corpus_outputs: dict[str, str], golden: Any) -> None:
    golden(HERE / name, corpus_outputs[name])


@pytest.mark.parametrize(
    "name",
    [*_names("lab"), "lab-apply.stdout", *(f"lab-run-{n}" for n in RUN_FILES)],
)
def test_lab_output_is_unchanged(name: str, lab_outputs: dict[str, str], golden: Any) -> None:
    golden(HERE / name, lab_outputs[name])
