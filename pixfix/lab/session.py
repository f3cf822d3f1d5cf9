"""One CLI session on a simulated device: keystrokes in, text out.

The session does its own echo and line handling, so SSH and telnet behave alike: input is
processed as it arrives, `<--- More --->` consumes single keystrokes, and password prompts
do not echo. Command handling lives in `pixfix.lab.commands`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from pixfix.lab import hostile
from pixfix.lab.device import SINGLE, SYSTEM, Device
from pixfix.lab.trains import Family

NL = "\r\n"
MORE = "<--- More --->"
_ERASE_MORE = "\x08" * len(MORE) + " " * len(MORE) + "\x08" * len(MORE)  # ASA: backspaces
_CR_ERASE_MORE = "\r" + " " * len(MORE) + "\r"  # PIX up to 6.3 (telnet): CR, spaces, CR
# An ASA's default terminal width: a prompt and command that pass it are shown sideways, and
# once entered the line reads `prompt` + the command cut to fit + `$`, 79 characters in all
# (tests/fixtures/real/long_echo; netmiko issues #281, #2039).
WIDTH = 80
_SUBMODE_PROMPTS = {
    "policy-map": "config-pmap",
    "class-map": "config-cmap",
    "interface": "config-if",
    "context": "config-ctx",
    "object": "config-network-object",
    "object-group": "config-network",
}


class Mode(enum.Enum):
    LOGIN_USER = "login-user"
    LOGIN_CHALLENGE = "login-challenge"
    USER = "user"
    PRIV = "priv"
    CONFIG = "config"


Answer = Callable[[str], None]
Dispatch = Callable[["CliSession", str], None]


@dataclass(slots=True)
class SessionState:
    """What one logged-in session has set for itself."""

    mode: Mode = Mode.USER
    context: str = SINGLE
    path: list[str] = field(default_factory=list)
    pager_override: int | None = None
    username: str = ""
    login_user: str = ""
    failures: int = 0
    config_commands: int = 0  # accepted in this session (the `drop_after_config` fault)
    hung: bool = False  # the `no_prompt` fault has struck: input is ignored from now on


class CliSession:
    """Drive one connection: `feed()` the client's bytes (as text), read `take_output()`."""

    def __init__(self, device: Device, *, username: str | None, dispatch: Dispatch) -> None:
        self.device = device
        self._dispatch = dispatch
        self.state = SessionState(context=device.login_context())
        self.closed = False
        self.dropped = False
        self._out: list[str] = []
        self._line = ""
        self._last = ""
        self._shown_prompt = ""  # the prompt the line being typed follows
        self._held: str | None = None  # a line held by the `pause_at` fault
        self._backlog = ""  # what the client typed while a line was held
        self.on_output: Callable[[], None] = lambda: None  # output made outside `feed`
        self.output_filter: Callable[[str], str] | None = None  # `| include X` of this command
        self._question: tuple[Answer, bool] | None = None  # (callback, echo)
        self._pending: list[str] = []  # lines still behind a More prompt
        self._endless: list[str] = []  # the `endless_pager` fault: lines that page forever
        if username is None:
            self.state.mode = Mode.LOGIN_USER
            self.write(f"{NL}User Access Verification{NL}{NL}Username: ")
        else:
            self.logged_in(username)

    # -- output -----------------------------------------------------------------------------
    def write(self, text: str) -> None:
        self._out.append(text)

    def take_output(self) -> str:
        text = "".join(self._out)
        self._out.clear()
        return text

    def close(self) -> None:
        self.closed = True

    def drop(self) -> None:
        """Lose the connection (a fault), rather than log out: the server aborts the TCP link."""
        self.closed = True
        self.dropped = True

    def prompt(self) -> str:
        host = self.device.hostname()
        ctx = "" if self.state.context in (SINGLE, SYSTEM) else f"/{self.state.context}"
        base = f"{host}{ctx}{self.device.prompt_state()}"
        if self.state.mode is Mode.USER:
            text = f"{base}> "
        elif self.state.mode is Mode.PRIV:
            text = f"{base}# "
        else:
            text = f"{base}({self._config_prompt()})# "
        return hostile.hostile_prompt(text) if self.device.faults.ansi else text

    def _config_prompt(self) -> str:
        path = self.state.path
        if not path:
            return "config"
        words = path[-1].split()
        if len(path) >= 2 and path[0].startswith("policy-map"):
            return "config-pmap-p" if words[0] == "parameters" else "config-pmap-c"
        return _SUBMODE_PROMPTS.get(words[0], f"config-{words[0]}")

    def show_prompt(self) -> None:
        self._shown_prompt = self.prompt()
        self.write(self._shown_prompt)

    def ask(self, question: str, answer: Answer, *, echo: bool = True) -> None:
        """Print a question and hand the next line to `answer`."""
        self.write(question)
        self._question = (answer, echo)

    def logged_in(self, username: str) -> None:
        self.state.username = username
        self.state.mode = Mode.USER
        self.device.counters.logins += 1
        self.write(f"Type help or '?' for a list of available commands.{NL}")
        self.show_prompt()

    # -- paging -----------------------------------------------------------------------------
    def pager_lines(self) -> int:
        if self.state.pager_override is not None:
            return self.state.pager_override
        return self.device.configured_pager_lines(self.state.context)

    def emit(self, text: str) -> None:
        """Print command output through the pager, then the prompt (faults permitting)."""
        if self.output_filter is not None:
            text = self.output_filter(text)
        faults = self.device.faults
        if faults.bad_utf8 and text:
            text = hostile.with_bad_bytes(text, NL)
        if faults.ansi and text:
            text = hostile.with_escapes(text, NL)
        lines = text.split(NL) if text else []
        if faults.endless_pager and lines:
            self._endless = lines
            self._pending = list(lines)
            self._page(
                max(
                    1,
                    min(
                        self.device.configured_pager_lines(self.state.context) or 24, len(lines) - 1
                    ),
                )
            )
            return
        if faults.no_prompt and self.state.hung:
            self.write("".join(line + NL for line in lines))
            return
        limit = self.pager_lines()
        if limit <= 0 or len(lines) <= limit:
            self.write("".join(line + NL for line in lines))
            self.show_prompt()
            return
        self._pending = lines
        self._page(limit)

    def _page(self, count: int) -> None:
        chunk, self._pending = self._pending[:count], self._pending[count:]
        self.write("".join(line + NL for line in chunk))
        if self._endless and not self._pending:
            self._pending = list(self._endless)  # the `endless_pager` fault: it starts again
        if self._pending:
            self.write(MORE)
        else:
            self.show_prompt()

    def _more_key(self, key: str) -> None:
        old_pix = self.device.train.family in (Family.PIX_MAILHOST, Family.PIX_FIXUP)
        self.write(_CR_ERASE_MORE if old_pix else _ERASE_MORE)
        if key in ("q", "Q"):
            self._pending = []
            self._endless = []
            self.show_prompt()
        elif key in ("\r", "\n"):
            self._page(1)
        else:
            self._page(max(self.pager_lines(), 1))

    # -- input ------------------------------------------------------------------------------
    def feed(self, data: str) -> None:
        for index, char in enumerate(data):
            if self._held is not None:
                self._backlog += data[index:]
                return
            if self.closed or self.state.hung:
                return
            last, self._last = self._last, char
            if char in ("\n", "\x00") and last == "\r":
                continue
            if self._pending:
                self._more_key(char)
            elif char in ("\r", "\n"):
                self._end_line()
            elif char in ("\x08", "\x7f"):
                self._backspace()
            elif char >= " " or char == "\t":
                self._line += char
                if self._echo():
                    self._echo_char(char)

    def _echo(self) -> bool:
        if self._question is not None:
            return self._question[1]
        return self.state.mode is not Mode.LOGIN_CHALLENGE

    def _backspace(self) -> None:
        if self._line:
            self._line = self._line[:-1]
            if self._echo():
                self.write("\x08 \x08")

    def _echo_char(self, char: str) -> None:
        if not self._cuts_long_lines():
            self.write(char)
            return
        shown = self._shown_prompt + self._line
        if len(shown) < WIDTH - 1:
            self.write(char)
        else:  # the line scrolls sideways: `$`, then its end
            self.write("\r$" + shown[-(WIDTH - 2) :])

    def _cuts_long_lines(self) -> bool:
        return self.family is Family.MPF and self._question is None

    def _end_line(self) -> None:
        line, self._line = self._line, ""
        shown = self._shown_prompt + line
        if self._cuts_long_lines() and self._echo() and len(shown) >= WIDTH - 1:
            self.write("\r" + shown[: WIDTH - 2] + "$")  # redrawn from its start, cut
        self.write(NL)
        if self._question is not None:
            answer, _ = self._question
            self._question = None
            answer(line)
            return
        if self.device.holds(line):
            self._held = line
            self.device.held.append(self._resume)
            return
        self._dispatch(self, line)

    def _resume(self) -> None:
        """The held line is carried out (even if the client has gone), then what followed it."""
        line, self._held = self._held or "", None
        self._dispatch(self, line)
        backlog, self._backlog = self._backlog, ""
        self.feed(backlog)
        self.on_output()

    @property
    def family(self) -> Family:
        return self.device.train.family
