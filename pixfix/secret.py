"""Secrets that cannot leak by accident.

A password printed in a traceback, a log line or a report is a password handed to whoever reads
that file next, so a `Secret` masks itself in `repr` and `str` and only `reveal()` gives the value
back. Every value a `Secret` has held is also remembered (`known_secrets()`), so that a log filter
can blank it out of any line, whoever wrote that line (netmiko logs what it sends).
"""

from __future__ import annotations

import hmac
import threading

MASK = "********"
_KNOWN: set[str] = set()
_KNOWN_LOCK = threading.Lock()


def known_secrets() -> frozenset[str]:
    """Every non-empty value a `Secret` has held in this process, for log redaction."""
    with _KNOWN_LOCK:
        return frozenset(_KNOWN)


class Secret:
    """A credential value that shows as `'********'` wherever it is printed.

    >>> Secret("hunter2")
    '********'
    >>> Secret("hunter2").reveal()
    'hunter2'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            with _KNOWN_LOCK:
                _KNOWN.add(value)

    def reveal(self) -> str:
        """The clear value: call this only where it is handed to the device."""
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    def __str__(self) -> str:
        return MASK

    def __bool__(self) -> bool:
        """Like `str`: an empty secret (no enable secret configured) is false."""
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))
