"""The one way audit, plan and apply talk to a device: `DeviceIO`, and `open_device`.

A `DeviceIO` is a logged-in, privileged session seen as four operations: read commands (one,
or several in one round trip where the session allows it), type one line and answer the
questions it asks (configuration lines, `reload in`, `write memory`), and type the line that
ends the session (`reload`). What to read and what the replies mean is decided above the
transport (`pixfix.audit.reads` knows each train's read commands); how the bytes move is
decided here, over netmiko (`SessionIO`), or over an in-process simulated device in unit tests.
`Recorded` wraps any `DeviceIO` and logs every exchange to a run's log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from pixfix.errors import ReloadStopped
from pixfix.inventory.load import Host
from pixfix.transport.connect import open_session, show_many
from pixfix.transport.limits import WIRE, utf8
from pixfix.transport.params import ConnectOptions, connect_params
from pixfix.transport.session import Answers, Session

LogSink = Callable[[dict[str, Any]], None]


class DeviceIO(Protocol):
    """A logged-in, privileged session."""

    @property
    def pipelines(self) -> bool:
        """Whether `read_many` costs one round trip (so reading one command more is cheap)."""
        ...

    def read(self, command: str) -> str:
        """A read command's output, without echo and prompt."""
        ...

    def read_many(self, commands: Sequence[str]) -> list[str]:
        """Several read commands' outputs, in order."""
        ...

    def exchange(self, line: str, answers: Answers = (), *, quiet: float = 0.0) -> str:
        """Type one line, answer the questions it asks, return everything up to the prompt
        (with `quiet`, also a question asked after the prompt, until nothing has arrived for
        `quiet` seconds)."""
        ...

    def leave(self, line: str, answers: Answers) -> str:
        """Type a line that ends the session (`reload`), answer its questions, do not wait."""
        ...


class SessionIO:
    """`DeviceIO` over a netmiko session from `pixfix.transport.connect.open_session`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def pipelines(self) -> bool:
        return self._session.pipelines

    def read(self, command: str) -> str:
        return show_many(self._session, [command])[0]

    def read_many(self, commands: Sequence[str]) -> list[str]:
        return show_many(self._session, commands)

    def exchange(self, line: str, answers: Answers = (), *, quiet: float = 0.0) -> str:
        """See `DeviceIO.exchange`: ASA 8.4+ prints its anonymous error reporting notice after
        the first `(config)#` prompt, so that question can only be caught by reading on until
        the line goes quiet."""
        session = self._session
        prompt = session.end_of_reply()
        pattern = "|".join([prompt, *(question for question, _ in answers)])
        session.write_channel(session.normalize_cmd(line))
        reply = ""
        for _ in range(len(answers) + 1):
            part = session.read_until_pattern(pattern=pattern)
            reply += part
            answer = _answer(answers, part)
            if answer is None:
                break
            session.write_channel(answer + session.RETURN)
        if quiet and answers:
            reply += self._late_question(answers, prompt, quiet)
        return utf8(reply, line).replace("\r\n", "\n")

    def _late_question(self, answers: Answers, prompt: str, quiet: float) -> str:
        session = self._session
        questions = "|".join(question for question, _ in answers)
        asked = session.read_within(questions, LATE_QUESTION_LIMIT, quiet=quiet)
        if asked is None:
            return ""  # nothing asked; whatever arrived stays buffered for the next read
        session.write_channel((_answer(answers, asked) or "") + session.RETURN)
        return asked + session.read_until_pattern(pattern=prompt)

    def leave(self, line: str, answers: Answers) -> str:
        """Type a line that takes the device down (`reload`): answer its questions, do not wait
        for a prompt. A question none of `answers` knows, or the prompt coming back, stops it:
        nothing is typed, and `ReloadStopped` says the reload did not happen."""
        session = self._session
        session.write_channel(session.normalize_cmd(line))
        known = "|".join(question for question, _ in answers)
        pattern = f"{known}|{_ANY_QUESTION}|{session.end_of_reply()}"
        reply = ""
        for _ in answers:
            part = session.read_until_pattern(pattern=pattern)
            while (answer := _answer(answers, part)) is None:
                more = session.read_within(pattern, QUESTION_WAIT)  # a question cut by a read
                if more is None:
                    break
                part += more
            reply += part
            if answer is None:
                last = part.rstrip().rsplit("\n", 1)[-1].strip()
                raise ReloadStopped(
                    f"{line!r} asked {last!r}: not answered, the reload did not happen"
                )
            session.write_channel(answer + session.RETURN)
            if answer == "":
                break
        return reply.encode(WIRE).decode("utf-8", "replace")  # only logged: the device goes down


_ANY_QUESTION = r"(?:\?|:|\])[ \t]*$"  # what a question ends with, whatever it asks
QUESTION_WAIT = 1.0  # seconds for the rest of a question that looks unknown (cut by a read)
LATE_QUESTION_LIMIT = 5.0  # seconds at most for a question after the prompt (a line never quiet)


def _answer(answers: Answers, text: str) -> str | None:
    """The answer to the question `text` ends with, or None when it asks none of them."""
    return next((answer for question, answer in answers if re.search(question, text)), None)


@contextmanager
def open_device(
    host: Host, options: ConnectOptions, *, budget: float | None = None
) -> Iterator[SessionIO]:
    """A session to the host as `DeviceIO`; device trouble comes out as `DeviceError`.

    `budget` bounds the whole session (an audit's `--timeout` per host); a change runs without
    one, so that it is never cut off halfway by the clock: each step has `options.timeout`.
    """
    with open_session(connect_params(host, options, budget=budget)) as session:
        yield SessionIO(session)


class Recorded:
    """A `DeviceIO` that logs every command sent and every reply, with how long it took."""

    def __init__(self, inner: DeviceIO, log: LogSink) -> None:
        self._inner = inner
        self._log = log

    @property
    def pipelines(self) -> bool:
        return self._inner.pipelines

    def read(self, command: str) -> str:
        return self._recorded(command, lambda: self._inner.read(command))

    def read_many(self, commands: Sequence[str]) -> list[str]:
        """Read together (one round trip where the session pipelines), logged one entry per
        command; each entry's `seconds` is the whole read's, `together` lists its commands."""
        together = list(commands)
        if len(together) < 2:
            return [self.read(command) for command in together]
        started = time.monotonic()
        try:
            replies = self._inner.read_many(together)
        except Exception as exc:
            seconds = round(time.monotonic() - started, 3)
            self._log({"commands": together, "error": str(exc), "seconds": seconds})
            raise
        seconds = round(time.monotonic() - started, 3)
        for command, reply in zip(together, replies, strict=True):
            entry = {"command": command, "reply": reply, "seconds": seconds, "together": together}
            self._log(entry)
        return replies

    def exchange(self, line: str, answers: Answers = (), *, quiet: float = 0.0) -> str:
        self._log({"send": line})  # written ahead: a run killed now still shows it was typed
        return self._recorded(line, lambda: self._inner.exchange(line, answers, quiet=quiet))

    def leave(self, line: str, answers: Answers) -> str:
        self._log({"send": line})
        return self._recorded(line, lambda: self._inner.leave(line, answers))

    def _recorded(self, command: str, call: Callable[[], str]) -> str:
        started = time.monotonic()
        try:
            reply = call()
        except Exception as exc:
            seconds = round(time.monotonic() - started, 3)
            self._log({"command": command, "error": str(exc), "seconds": seconds})
            raise
        self._log(
            {"command": command, "reply": reply, "seconds": round(time.monotonic() - started, 3)}
        )
        return reply
