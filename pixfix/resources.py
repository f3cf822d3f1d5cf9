"""Find the data folders that ship with pixfix, from a source tree or from an installed wheel.

The repository keeps `templates/` and `inventories/` at the top level so a site can read what
will be sent; the wheel maps them to `pixfix/_templates` and `pixfix/_inventories`
(pyproject `force-include`). Every module that reads them goes through `data_dir`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pixfix.errors import TemplateError

_PACKAGE_DIR = Path(__file__).resolve().parent


def find_data_dir(package_dir: Path, name: str) -> Path:
    """`<package>/_<name>` (installed wheel) or else `<package>/../<name>` (source tree)."""
    for candidate in (package_dir / f"_{name}", package_dir.parent / name):
        if candidate.is_dir():
            return candidate
    raise TemplateError(f"data folder {name!r} not found beside the pixfix package")


@cache
def data_dir(name: str) -> Path:
    """The folder `name` (`templates`, `inventories`) that ships with this pixfix."""
    return find_data_dir(_PACKAGE_DIR, name)


def templates_dir() -> Path:
    """The `templates` folder (textfsm/, remediation/, report/)."""
    return data_dir("templates")


def textfsm_template(name: str) -> Path:
    """Path of the TextFSM template `name` (without `.textfsm`)."""
    path = templates_dir() / "textfsm" / f"{name}.textfsm"
    if not path.is_file():
        raise TemplateError(f"TextFSM template {name!r} not found in {path.parent}")
    return path
