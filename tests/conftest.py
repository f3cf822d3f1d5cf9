"""Root conftest: command-line options (pytest reads them only here) and the golden-file fixture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files under tests/golden instead of comparing with them",
    )


Golden = Callable[[Path, str], None]


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Compare `text` with the golden file at `path` (or write it with --update-golden)."""
    update = bool(request.config.getoption("--update-golden"))

    def check(path: Path, text: str) -> None:
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.is_file(), f"{path.name} missing: run pytest --update-golden and review it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{path.name} changed: review, then run pytest --update-golden"

    return check
