"""Where each credential comes from (the values are `pixfix.secret.Secret`s).

Inventories name *where* a credential lives (`CredentialSource`); `choose_source()` picks it and
a `CredentialReader` reads it. In order: the value written in the inventory, its `*_env`
variable, the system keyring (`keyring: service` in the inventory, when the optional `keyring`
package is installed), the `PIXFIX_<NAME>` variable, and last one question on the terminal. A
keyring without the entry falls through to the sources after it. Each distinct question (the
username; the password and the enable secret per username) is asked once for a whole inventory.
"""

from __future__ import annotations

import getpass
import importlib
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from pixfix.errors import InputError, InventoryError
from pixfix.secret import Secret

logger = logging.getLogger(__name__)

CREDENTIALS = ("username", "password", "secret")
DEFAULT_ENV = {name: f"PIXFIX_{name.upper()}" for name in CREDENTIALS}
KEYRING_EXTRA = "pip install 'pixfix[keyring]'"


class SourceKind(Enum):
    """Where a credential's value is read from."""

    NONE = "none"
    INLINE = "inline"
    ENV = "env"
    KEYRING = "keyring"
    PROMPT = "prompt"


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialSource:
    """Where one credential comes from, safe to show: an env var's name, never the value.

    A keyring source carries the source to use when the keyring has no such entry (`fallback`);
    None there means that a missing entry is an error.
    """

    kind: SourceKind
    inline: Secret | None = field(default=None, repr=False)
    variable: str | None = None
    service: str | None = None
    fallback: CredentialSource | None = None

    def __str__(self) -> str:
        if self.kind is SourceKind.ENV:
            return f"env {self.variable}"
        if self.kind is SourceKind.KEYRING:
            return f"keyring {self.service}" + (f" (else {self.fallback})" if self.fallback else "")
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


# ---- backends: the keyring and the terminal -----------------------------------------------------


class KeyringReader(Protocol):
    """What pixfix needs of a keyring: one entry of one service, or None."""

    def get(self, service: str, name: str) -> str | None: ...


class Prompter(Protocol):
    """Asks the person at the terminal; `available()` says whether anyone can be asked."""

    def available(self) -> bool: ...

    def ask(self, question: str, *, hidden: bool) -> str: ...


class SystemKeyring:
    """The `keyring` package's default backend (Secret Service, macOS Keychain, Windows ...)."""

    def __init__(self) -> None:
        self._module = importlib.import_module("keyring")

    def get(self, service: str, name: str) -> str | None:
        value = self._module.get_password(service, name)
        return value if isinstance(value, str) else None


def system_keyring() -> KeyringReader | None:
    """The system keyring, or None when the optional `keyring` package is not installed."""
    try:
        return SystemKeyring()
    except ImportError:
        return None


class TerminalPrompter:
    """Asks on the terminal (getpass for secrets); never when stdin is not a terminal, so a
    cron job or a CI run fails with an input error instead of hanging on a question."""

    def available(self) -> bool:
        return sys.stdin is not None and sys.stdin.isatty()

    def ask(self, question: str, *, hidden: bool) -> str:
        try:
            if hidden:
                return getpass.getpass(question)
            sys.stderr.write(question)
            sys.stderr.flush()
            line = sys.stdin.readline()
        except EOFError:
            line = ""
        if not line:
            raise InputError(f"no answer to: {question.strip()}")
        return line.rstrip("\n")


class ListingPrompter:
    """For listings (`inventory check`): a question counts as a source when one could be asked
    here, but nothing is asked and the value stays empty."""

    def available(self) -> bool:
        return TerminalPrompter().available()

    def ask(self, question: str, *, hidden: bool) -> str:
        return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Backends:
    """Where credentials may be read besides the inventory and the environment."""

    keyring: KeyringReader | None  # None: the optional keyring package is not installed
    prompter: Prompter | None  # None: never ask


def default_backends() -> Backends:
    """The system keyring when installed, and questions when stdin is a terminal."""
    return Backends(keyring=system_keyring(), prompter=TerminalPrompter())


# ---- choosing a source --------------------------------------------------------------------------


def choose_source(
    name: str,
    inline: str | None,
    variable: str | None,
    environ: Mapping[str, str],
    *,
    where: str,
    required: bool = True,
    keyring: str | None = None,
    backends: Backends | None = None,
) -> CredentialSource:
    """Inline text, else the named variable, else the keyring service, else `PIXFIX_<NAME>` when
    that is set, else a question when one can be asked.

    Only the enable secret may be absent (some devices have none); a host with no username or
    password at all is an error, raised here so that the message says what to set. A caller
    that never logs in passes `required=False` and gets `SourceKind.NONE` instead.
    """
    if inline is not None:
        return CredentialSource(kind=SourceKind.INLINE, inline=Secret(inline))
    if variable is not None:
        return CredentialSource(kind=SourceKind.ENV, variable=variable)
    prompter = backends.prompter if backends is not None and required else None
    can_ask = prompter is not None and prompter.available()
    if keyring is not None:
        if required and (backends is None or backends.keyring is None):
            raise InventoryError(
                f"{where}: keyring {keyring!r} is named but the keyring package is not "
                f"installed ({KEYRING_EXTRA})"
            )
        rest = _after_keyring(name, environ, can_ask=can_ask, required=required)
        return CredentialSource(kind=SourceKind.KEYRING, service=keyring, fallback=rest)
    source = _after_keyring(name, environ, can_ask=can_ask, required=required)
    if source is None:
        raise InventoryError(
            f"{where}: no {name}: set {name}_env (or {name}) or keyring, or the environment "
            f"variable {DEFAULT_ENV[name]}, or run on a terminal to be asked"
        )
    return source


def _after_keyring(
    name: str, environ: Mapping[str, str], *, can_ask: bool, required: bool
) -> CredentialSource | None:
    """`PIXFIX_<NAME>`, a question, nothing (secret, or not required), or None: an error."""
    if DEFAULT_ENV[name] in environ:
        return CredentialSource(kind=SourceKind.ENV, variable=DEFAULT_ENV[name])
    if can_ask:
        return CredentialSource(kind=SourceKind.PROMPT)
    if name == "secret" or not required:
        return CredentialSource(kind=SourceKind.NONE)
    return None


# ---- reading values -----------------------------------------------------------------------------


def resolve(
    source: CredentialSource, environ: Mapping[str, str], *, where: str, required: bool = True
) -> Secret:
    """Read a source that needs neither keyring nor terminal (inline, env, none).

    An unset variable is an error unless the caller will never log in (`required=False`, as for
    the SMTP probe): then the credential is simply empty.

    >>> src = CredentialSource(kind=SourceKind.ENV, variable="PW")
    >>> resolve(src, {"PW": "x"}, where="inv.yaml: host 'fw1': password").reveal()
    'x'
    >>> resolve(src, {}, where="inv.yaml: host 'fw1': password", required=False)
    '********'
    """
    reader = CredentialReader(environ, Backends(keyring=None, prompter=None), required=required)
    return reader.read(source, where=where, name="password", username="")


_QUESTIONS = {
    "username": ("username", False),
    "password": ("password", True),
    "secret": ("enable secret (empty: none)", True),
}


class CredentialReader:
    """Reads credential values for one inventory: each keyring entry once, each question once.

    Questions are keyed by what they ask: the username once for every host without one, the
    password and the enable secret once per username.
    """

    def __init__(self, environ: Mapping[str, str], backends: Backends, *, required: bool) -> None:
        self._environ = environ
        self._backends = backends
        self._required = required
        self._keyring: dict[tuple[str, str], str | None] = {}
        self._answers: dict[tuple[str, str], Secret] = {}

    def read(self, source: CredentialSource, *, where: str, name: str, username: str) -> Secret:
        """The value of one credential of one host; `where` names file, host and field."""
        match source.kind:
            case SourceKind.NONE:
                return Secret("")
            case SourceKind.INLINE:
                return source.inline if source.inline is not None else Secret("")
            case SourceKind.ENV:
                return self._env(source, where)
            case SourceKind.KEYRING:
                return self._from_keyring(source, where=where, name=name, username=username)
            case SourceKind.PROMPT:
                return self._ask(name, username)

    def _env(self, source: CredentialSource, where: str) -> Secret:
        assert source.variable is not None  # guaranteed by how sources are built
        if source.variable not in self._environ:
            if not self._required:
                logger.debug("%s: %s is not set, left empty", where, source.variable)
                return Secret("")
            raise InventoryError(f"{where}: environment variable {source.variable} is not set")
        logger.debug("%s: read from environment variable %s", where, source.variable)
        return Secret(self._environ[source.variable])

    def _from_keyring(
        self, source: CredentialSource, *, where: str, name: str, username: str
    ) -> Secret:
        assert source.service is not None  # guaranteed by how sources are built
        if not self._required or self._backends.keyring is None:
            return Secret("")  # never unlock a keyring for a run that does not log in
        key = (source.service, name)
        if key not in self._keyring:
            self._keyring[key] = self._keyring_get(self._backends.keyring, key, where)
        value = self._keyring[key]
        if value is not None:
            logger.debug("%s: read from keyring service %s", where, source.service)
            return Secret(value)
        if source.fallback is None:
            raise InventoryError(
                f"{where}: keyring service {source.service!r} has no {name!r} entry, and "
                f"{DEFAULT_ENV[name]} is not set (nor is there a terminal to ask on)"
            )
        return self.read(source.fallback, where=where, name=name, username=username)

    @staticmethod
    def _keyring_get(reader: KeyringReader, key: tuple[str, str], where: str) -> str | None:
        try:
            return reader.get(*key)
        except Exception as exc:  # each keyring backend (D-Bus, Keychain ...) has its own tree
            problem = type(exc).__name__
            raise InventoryError(f"{where}: keyring service {key[0]!r}: {problem}") from None

    def _ask(self, name: str, username: str) -> Secret:
        key = (name, "" if name == "username" else username)
        if key not in self._answers:
            prompter = self._backends.prompter
            if prompter is None:  # pragma: no cover - PROMPT is only chosen with a prompter
                raise InventoryError(f"no {name} and nobody to ask")
            label, hidden = _QUESTIONS[name]
            who = "" if name == "username" else f" for {username}"
            question = f"pixfix: {label}{who} (used for every host that needs it): "
            self._answers[key] = Secret(prompter.ask(question, hidden=hidden))
        return self._answers[key]
