"""Secrets that cannot leak by accident, and where each one comes from.

A password printed in a traceback, a log line or a report is a password handed to whoever reads
that file next, so a `Secret` masks itself in `repr` and `str` and only `reveal()` gives the value
back. Inventories name *where* a credential lives (`CredentialSource`); `resolve()` turns that into
a `Secret`. Today a source is inline text or an environment variable. A new kind (keyring, an
interactive prompt) is one more `SourceKind` member, a branch in `choose_source()` for how an
inventory asks for it and one in `resolve()` for how it is read: nothing else looks inside.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from pixfix.errors import InventoryError

logger = logging.getLogger(__name__)

MASK = "********"
CREDENTIALS = ("username", "password", "secret")
DEFAULT_ENV = {name: f"PIXFIX_{name.upper()}" for name in CREDENTIALS}


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


class SourceKind(Enum):
    """Where a credential's value is read from; add keyring/prompt here when they arrive."""

    NONE = "none"
    INLINE = "inline"
    ENV = "env"


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialSource:
    """Where one credential comes from, safe to show: an env var's name, never the value."""

    kind: SourceKind
    inline: Secret | None = field(default=None, repr=False)
    variable: str | None = None

    def __str__(self) -> str:
        if self.kind is SourceKind.ENV:
            return f"env {self.variable}"
        return str(self.kind.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialSources:
    """The source of each of a host's three credentials, for `inventory check` and warnings."""

    username: CredentialSource
    password: CredentialSource
    secret: CredentialSource

    def inline_fields(self) -> tuple[str, ...]:
        """Names of the credentials written into the inventory file itself."""
        pairs = (("username", self.username), ("password", self.password), ("secret", self.secret))
        return tuple(name for name, src in pairs if src.kind is SourceKind.INLINE)


def resolve(
    source: CredentialSource, environ: Mapping[str, str], *, where: str, required: bool = True
) -> Secret:
    """Read the value a source points at; `where` names file, host and field for the error.

    An unset variable is an error unless the caller will never log in (`required=False`, as for
    the SMTP probe): then the credential is simply empty.

    >>> src = CredentialSource(kind=SourceKind.ENV, variable="PW")
    >>> resolve(src, {"PW": "x"}, where="inv.yaml: host 'fw1': password").reveal()
    'x'
    >>> resolve(src, {}, where="inv.yaml: host 'fw1': password", required=False)
    '********'
    """
    match source.kind:
        case SourceKind.NONE:
            return Secret("")
        case SourceKind.INLINE:
            return source.inline if source.inline is not None else Secret("")
        case SourceKind.ENV:
            assert source.variable is not None  # guaranteed by how sources are built
            if source.variable not in environ:
                if not required:
                    logger.debug("%s: %s is not set, left empty", where, source.variable)
                    return Secret("")
                raise InventoryError(f"{where}: environment variable {source.variable} is not set")
            logger.debug("%s: read from environment variable %s", where, source.variable)
            return Secret(environ[source.variable])


def choose_source(
    name: str,
    inline: str | None,
    variable: str | None,
    environ: Mapping[str, str],
    *,
    where: str,
    required: bool = True,
) -> CredentialSource:
    """Inline text, else the named variable, else `PIXFIX_<NAME>` when that is set.

    Only the enable secret may be absent (some devices have none); a host with no username or
    password at all is an error, raised here so that the message says what to set. A caller
    that never logs in passes `required=False` and gets `SourceKind.NONE` instead.
    """
    if inline is not None:
        return CredentialSource(kind=SourceKind.INLINE, inline=Secret(inline))
    if variable is not None:
        return CredentialSource(kind=SourceKind.ENV, variable=variable)
    fallback = DEFAULT_ENV[name]
    if fallback in environ:
        return CredentialSource(kind=SourceKind.ENV, variable=fallback)
    if name == "secret" or not required:
        return CredentialSource(kind=SourceKind.NONE)
    raise InventoryError(
        f"{where}: no {name}: set {name}_env (or {name}), or the environment variable {fallback}"
    )
