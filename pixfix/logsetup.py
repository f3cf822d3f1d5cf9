"""Logging for the command line: levels from `-v`/`-q`, a log file, the host on every line,
no secrets and no terminal escapes in any line, and `NO_COLOR`.

Modules log like a library (`logging.getLogger(__name__)`, lazy `%` arguments); only the CLI
calls `configure_logging`. Two things make every line safe to read and to ship:

- the host: a fleet job runs inside `host_context(name)` (see `per_host`), and a filter stamps
  that name on every record the job causes, netmiko's and paramiko's included, which know
  nothing of pixfix. `host_logger` is the explicit form, a `LoggerAdapter`, for pixfix's own
  code that handles several hosts in one thread;
- the text: the formatter blanks every value a `Secret` has ever held (netmiko logs what it
  writes to the channel, telnet passwords included) and strips escape sequences and control
  characters, because a line may quote device output and a log is read on a terminal.

Without `-v`, `-q` or `--log-file` nothing is configured: Python's last-resort handler prints
warnings, and `pixfix lab up` keeps its own format.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pixfix.errors import InputError
from pixfix.secret import MASK, known_secrets
from pixfix.text import strip_control

T = TypeVar("T")
R = TypeVar("R")

NO_HOST = "-"
FILE_FORMAT = "%(asctime)s %(levelname)-7s [%(host)s] %(name)s: %(message)s"
STDERR_FORMAT = "pixfix: %(levelname)s: [%(host)s] %(message)s"
THIRD_PARTY = ("netmiko", "paramiko", "asyncssh")
_HOST: contextvars.ContextVar[str] = contextvars.ContextVar("pixfix_host", default=NO_HOST)
_OURS = "_pixfix_handler"  # marks the handlers configure_logging installed


@dataclass(frozen=True, slots=True, kw_only=True)
class LogOptions:
    """The global options: `-v` (repeatable), `-q`, `--log-file`, `--no-color`."""

    verbosity: int = 0
    quiet: bool = False
    log_file: Path | None = None
    no_color: bool = False


def stderr_level(options: LogOptions) -> int:
    """-q: errors only; default: warnings; -v: info; -vv and more: debug.

    >>> [logging.getLevelName(stderr_level(LogOptions(verbosity=v))) for v in (0, 1, 2)]
    ['WARNING', 'INFO', 'DEBUG']
    """
    if options.quiet:
        return logging.ERROR
    if options.verbosity >= 2:
        return logging.DEBUG
    return logging.INFO if options.verbosity == 1 else logging.WARNING


def file_level(options: LogOptions) -> int:
    """A log file is for afterwards: at least info, debug from -vv."""
    return logging.DEBUG if options.verbosity >= 2 else logging.INFO


def third_party_level(options: LogOptions) -> int:
    """netmiko/paramiko/asyncssh: warnings, info from -vv, their own debug only from -vvv."""
    levels = {0: logging.WARNING, 1: logging.WARNING, 2: logging.INFO}
    return levels.get(options.verbosity, logging.DEBUG)


def color_wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colours only on a terminal, and never when `NO_COLOR` is set to anything but empty
    (no-color.org); `--no-color` sets it, so rich and child processes follow too."""
    environ = os.environ if environ is None else environ
    return not environ.get("NO_COLOR") and stream.isatty()


# ---- the host of each line --------------------------------------------------------------------


@contextmanager
def host_context(name: str) -> Iterator[None]:
    """Every record logged in this block, by any library, names `name` as its host."""
    token = _HOST.set(name)
    try:
        yield
    finally:
        _HOST.reset(token)


def per_host(job: Callable[[T], R], label: Callable[[T], str]) -> Callable[[T], R]:
    """A fleet job that runs inside `host_context(label(item))` (thread pools do not carry
    context variables into their threads, so the job sets it where it runs)."""

    def run(item: T) -> R:
        with host_context(label(item)):
            return job(item)

    return run


class HostAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger whose every record names one host, for code that handles several hosts in one
    thread (where `host_context` would be wrong)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = dict(kwargs.get("extra") or {})
        extra.setdefault("host", (self.extra or {}).get("host", NO_HOST))
        kwargs["extra"] = extra
        return msg, kwargs


def host_logger(logger: logging.Logger, host: str) -> HostAdapter:
    return HostAdapter(logger, {"host": host})


class HostFilter(logging.Filter):
    """Stamps the host of the running fleet job on records that do not name one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "host", None):
            record.host = _HOST.get()
        return True


class _NamesHost(logging.Filter):
    def __init__(self, host: str) -> None:
        super().__init__()
        self.host = host

    def filter(self, record: logging.LogRecord) -> bool:
        record.host = self.host
        return True


_CHANNELS_LOCK = threading.Lock()


def host_channel(prefix: str, host: str) -> str:
    """The name of a logger under `prefix` whose records name `host`.

    For a library's own threads, which do not carry the fleet job's host context: paramiko's
    transport thread logs to the channel it is given (`SSHClient.set_log_channel`).
    """
    name = f"{prefix}.{host}" if host else prefix
    logger = logging.getLogger(name)
    with _CHANNELS_LOCK:
        if host and not any(isinstance(f, _NamesHost) for f in logger.filters):
            logger.addFilter(_NamesHost(host))
    return name


# ---- safe text ----------------------------------------------------------------------------------


MIN_REDACTED = 4  # shorter values would blank every "a" or "pw" in a log: not worth hiding


def redact(text: str, secrets: frozenset[str] | None = None) -> str:
    """`text` with every known secret value masked, longest first (one may contain another).

    Values shorter than `MIN_REDACTED` are left alone: masking a one-letter password would
    mask that letter everywhere and make the log unreadable, and it protects nothing.

    >>> redact("login admin hunter2-x", frozenset({"hunter2-x", "a"}))
    'login admin ********'
    """
    values = known_secrets() if secrets is None else secrets
    for value in sorted((v for v in values if len(v) >= MIN_REDACTED), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


class SafeFormatter(logging.Formatter):
    """Formats, then masks secrets and strips escapes and control characters from the whole
    line, traceback included (an exception's text may quote a password or device output)."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_control(redact(super().format(record)))


# ---- configuring ------------------------------------------------------------------------------


def configure_logging(options: LogOptions, stream: TextIO | None = None) -> None:
    """Install pixfix's handlers (stderr, and the log file when asked) on the root logger.

    Called again, it replaces what it installed before (tests run many commands in one
    process). Does nothing, except honouring `--no-color`, for the defaults.
    """
    if options.no_color:
        os.environ["NO_COLOR"] = "1"
    quiet_disconnects()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    if options == LogOptions(no_color=options.no_color):
        return
    handlers = [_handler(logging.StreamHandler(stream or sys.stderr), stderr_level(options))]
    handlers[0].setFormatter(SafeFormatter(STDERR_FORMAT))
    if options.log_file is not None:
        handlers.append(_handler(_file_handler(options.log_file), file_level(options)))
        handlers[-1].setFormatter(SafeFormatter(FILE_FORMAT))
    root.setLevel(min(h.level for h in handlers))
    for handler in handlers:
        root.addHandler(handler)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(third_party_level(options))


class _DisconnectNoise(logging.Filter):
    """paramiko's transport thread logs `Socket exception: Broken pipe (32)` (or `Bad file
    descriptor (9)`, `Connection reset by peer (104)`) at ERROR when a session is closed under
    it: nothing a user caused or can act on (a lost session reaches pixfix as an exception, and
    is that device's outcome). Such records go down to DEBUG: seen with -vvv only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and record.getMessage().startswith("Socket exception:"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def quiet_disconnects() -> None:
    """Install `_DisconnectNoise` on paramiko's transport logger (once)."""
    transport = logging.getLogger("paramiko.transport")
    if not any(isinstance(f, _DisconnectNoise) for f in transport.filters):
        transport.addFilter(_DisconnectNoise())


def _handler(handler: logging.Handler, level: int) -> logging.Handler:
    handler.setLevel(level)
    handler.addFilter(HostFilter())
    setattr(handler, _OURS, True)
    return handler


def _file_handler(path: Path) -> logging.Handler:
    """Appends to `path`, made 0600 before anything is written (created so, or an existing
    file tightened): a log may quote configurations and device replies."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)  # an existing file keeps its mode otherwise (0644: readable)
        return logging.FileHandler(path, mode="a", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--log-file {path}: cannot open: {exc.strerror}") from exc
