"""Render the remediation templates (`templates/remediation/*.j2`) into command lines.

One template per software train and mode, each with its rollback twin (`<name>_rollback.j2`);
`pixfix.platforms.FACTS[train].templates` says which. A site may edit them, so rendering is
strict (`StrictUndefined`: a misspelt variable is an error, not an empty string) and every
template problem is an input error (`TemplateError`, exit 2) naming the template file and line.
The rendered text is split into lines, blank lines dropped and trailing spaces removed; the
guard (`pixfix.plan.guard`) then decides whether the lines may be sent at all.

Variables a template gets (see `templates/remediation/README.md`): `context` (the context to
change to, or none), `fixups` (`.line`, `.ports`), `mailhosts` (`.line`, `.args`), `inspects`
(`.policy`, `.class_name`, `.protocol`, `.map_name`, `.line`), `tune_map`, `software`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from pixfix.errors import TemplateError
from pixfix.resources import templates_dir


@dataclass(frozen=True, slots=True, kw_only=True)
class FixupTarget:
    """An enabled `fixup protocol smtp PORTS` line (`ports` as written: `25` or `587-588`)."""

    line: str
    ports: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MailhostTarget:
    """A `mailhost ARGS` line, arguments verbatim (their form is not confirmed on a device)."""

    line: str
    args: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectTarget:
    """An `inspect esmtp|smtp [MAP]` line under `policy-map POLICY` / ` class CLASS`."""

    line: str
    policy: str
    class_name: str
    protocol: str
    map_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateVars:
    """Everything a remediation template may use; nothing else is defined."""

    context: str | None
    fixups: tuple[FixupTarget, ...] = ()
    mailhosts: tuple[MailhostTarget, ...] = ()
    inspects: tuple[InspectTarget, ...] = ()
    tune_map: str
    software: str

    def as_dict(self) -> Mapping[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def remediation_dir(base: Path | None = None) -> Path:
    """The remediation templates folder: `base` (a site's copy) or the one shipped."""
    return base if base is not None else templates_dir() / "remediation"


@cache
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=(), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """The template line a render error came from: jinja2 rewrites its traceback frames so
    that they carry the template's file name and line number."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _load(folder: Path, name: str) -> jinja2.Template:
    try:
        return _environment(folder).get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"remediation template {folder / name} not found") from exc
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or str(folder / name)
        raise TemplateError(f"{where}, line {exc.lineno}: {exc.message}") from exc


def render_lines(name: str, values: TemplateVars, *, folder: Path | None = None) -> list[str]:
    """The command lines of one remediation template; template trouble is a `TemplateError`."""
    base = remediation_dir(folder)
    template = _load(base, name)
    filename = template.filename or str(base / name)
    try:
        text = template.render(values.as_dict())
    except jinja2.TemplateError as exc:
        line = _template_line(exc.__traceback__, filename)
        where = f"{filename}, line {line}" if line else filename
        raise TemplateError(f"{where}: {exc.message or type(exc).__name__}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        line = _template_line(exc.__traceback__, filename)
        where = f"{filename}, line {line}" if line else filename
        raise TemplateError(f"{where}: {exc}") from exc
    return [line.rstrip() for line in text.split("\n") if line.strip()]
