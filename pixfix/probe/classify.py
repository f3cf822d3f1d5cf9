"""The pure half of the SMTP probe: transcript records in, signatures and a verdict out.

Nothing here touches a socket, so every rule is tested with literal transcripts. The rules follow
what Mailguard (PIX fixup) and ASA ESMTP inspection do to a session as seen from outside
(Microsoft KB 320027 describes the symptoms):

- ``masked-banner``: the greeting is made only of ``2``, ``0``, ``*``, space and tab (PIX 5.1+ and
  ASA ``mask-banner`` keep only those), or is the old PIX ``SMTP/cmap___ read`` banner.
- ``ehlo-blocked``: EHLO refused or unanswered, or answered with a single-line NOOP-style ``250``
  (PIX turns EHLO into NOOP) instead of the server's EHLO greeting.
- ``starttls-blocked``: STARTTLS masked in the EHLO reply (``XXXXXXXA``) and refused, or offered
  in clear and then refused, or a TLS handshake that fails after ``220``.
- ``unknown-command-ok``: a 2xx reply to a verb no server accepts (PIX turned it into NOOP).
- ``extensions-masked``: other EHLO keywords masked as X's (ESMTP inspection, mail still works).
- ``command-masked``: the server's refusal of the unknown verb quotes it as X's (ASA rewrote it);
  like ``extensions-masked`` it shows inspection in the path without breaking mail.

The first four mean mail is broken (``mailguard``); the last two alone mean ``inspected``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

# A verb no SMTP server accepts ("goodmorning", the classic Mailguard probe).
UNKNOWN_VERB = "GOODMORNING"


class Step(Enum):
    """Which part of the probe sequence an exchange belongs to."""

    GREETING = "greeting"
    EHLO = "ehlo"
    UNKNOWN_VERB = "unknown-verb"
    NOOP = "noop"
    STARTTLS = "starttls"
    TLS = "tls-handshake"
    QUIT = "quit"


class ReplyEnd(Enum):
    """How reading a reply stopped; anything but COMPLETE or QUIET means the session is over."""

    COMPLETE = "complete"  # a final line (`250 ...`) arrived
    QUIET = "quiet"  # no final line, no more data within the quiet interval (masked replies)
    CLOSED = "closed"  # the peer closed the connection
    TIMEOUT = "timeout"  # the step timeout passed
    TOO_LONG = "too-long"  # the reply exceeded the size limit
    FAILED = "failed"  # a local step failed (send error, TLS handshake)


class SignatureName(Enum):
    """A trace of SMTP inspection seen from outside."""

    MASKED_BANNER = "masked-banner"
    EHLO_BLOCKED = "ehlo-blocked"
    STARTTLS_BLOCKED = "starttls-blocked"
    UNKNOWN_COMMAND_OK = "unknown-command-ok"
    EXTENSIONS_MASKED = "extensions-masked"
    COMMAND_MASKED = "command-masked"


BREAKING = frozenset(
    {
        SignatureName.MASKED_BANNER,
        SignatureName.EHLO_BLOCKED,
        SignatureName.STARTTLS_BLOCKED,
        SignatureName.UNKNOWN_COMMAND_OK,
    }
)


class Verdict(Enum):
    """The outcome of probing one target."""

    MAILGUARD = "mailguard"  # inspection breaks mail
    INSPECTED = "inspected"  # ESMTP inspection in the path, EHLO and TLS working (tune mode)
    CLEAN = "clean"  # no signature seen (not proof that nothing inspects)
    UNREACHABLE = "unreachable"  # no connection, service refused, or session cut short
    NOT_SMTP = "not-smtp"  # something answered, but not with an SMTP greeting


class StarttlsOffer(Enum):
    """What the EHLO reply says about STARTTLS."""

    CLEAR = "clear"  # advertised as STARTTLS
    MASKED = "masked"  # not advertised, but an 8-letter keyword is masked (STARTTLS or CHUNKING)
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One step of a session: the line sent (None for the greeting) and the reply as read."""

    step: Step
    sent: str | None
    code: int | None
    lines: tuple[str, ...]
    end: ReplyEnd
    note: str = ""

    @property
    def answered(self) -> bool:
        """True when a whole reply arrived and the session can go on."""
        return self.end in (ReplyEnd.COMPLETE, ReplyEnd.QUIET) and bool(self.lines)

    def show(self) -> str:
        """One line of evidence: `SENT -> first reply line` (or the note when nothing came)."""
        reply = self.lines[0] if self.lines else f"({self.note or self.end.value})"
        if len(self.lines) > 1:
            reply += f" (+{len(self.lines) - 1} lines)"
        if self.lines and not self.answered:
            reply += f" ({self.note or self.end.value})"
        return reply if self.sent is None else f"{self.sent} -> {reply}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """One signature with the transcript lines that show it."""

    name: SignatureName
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """What a transcript says: a verdict, the signatures behind it, and why when not judged."""

    verdict: Verdict
    signatures: tuple[Signature, ...]
    error: str | None = None


_CODE = re.compile(r"^(\d{3})(?:[ \t-]|$)")
_MASK_CHARS = frozenset("20* \t")
_CMAP = re.compile(r"SMTP/cmap_+ read", re.IGNORECASE)
_MASKED_KEYWORD = re.compile(r"^X{3,}[A-Z0-9]?$")
_MASKED_ECHO = re.compile(r"\bX{4,}\b")
_ENHANCED_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_DOMAIN_TOKEN = re.compile(
    r"^(?:\[[^\]\s]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
    r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?)$"
)
_NOOP_WORDS = frozenset({"ok", "ok.", "okay", "requested", "noop"})
_STARTTLS_LEN = len("STARTTLS")


def reply_code(lines: Sequence[str]) -> int | None:
    """The 3-digit code of a reply (from its first line), or None when it has none."""
    match = _CODE.match(lines[0]) if lines else None
    return int(match.group(1)) if match else None


def is_masked_banner(lines: Sequence[str]) -> bool:
    """Postfix's test for a PIX: a greeting of only 2, 0, `*`, space, tab (with at least one `*`).

    The old PIX banner `220 SMTP/cmap_____ read` also counts.
    """
    text = "".join(lines)
    if _CMAP.search(text):
        return True
    return "*" in text and set(text) <= _MASK_CHARS


def is_smtp_greeting(lines: Sequence[str]) -> bool:
    """A greeting is SMTP when it starts with a reply code, or is masked (PIX 4.4 masks it all)."""
    return reply_code(lines) is not None or is_masked_banner(lines)


def _text(line: str) -> str:
    """A reply line without its code and separator."""
    return line[4:] if _CODE.match(line) else line


def ehlo_keywords(lines: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(KEYWORD, line) for each extension line of an EHLO reply (every line after the first)."""
    found = []
    for line in lines[1:]:
        words = _text(line).split()
        if words:
            found.append((words[0].upper(), line))
    return tuple(found)


def is_noop_style(ehlo: Exchange, noop: Exchange | None) -> bool:
    """True when a `250` EHLO answer is a NOOP reply rather than an EHLO greeting.

    PIX Mailguard rewrites EHLO into NOOP, so the server answers `250 OK`, `250 2.0.0 Ok` or
    `250 Requested mail action okay, completed`: one line, no domain. A real EHLO greeting names
    the server first (`250-mail.contoso.com Hello [192.0.2.1]`, `250 mail.example.com`). The
    server's own NOOP reply, when we have it, settles it: the same text means the same command.
    """
    if len(ehlo.lines) != 1:
        return False
    text = _text(ehlo.lines[0]).strip()
    if noop is not None and noop.lines and text == _text(noop.lines[0]).strip():
        return True
    words = text.split()
    if not words:
        return True
    first = words[0]
    if _ENHANCED_STATUS.match(first) or first.lower() in _NOOP_WORDS:
        return True
    return _DOMAIN_TOKEN.match(first) is None


def starttls_offer(ehlo: Exchange | None) -> StarttlsOffer:
    """Whether the EHLO reply offers STARTTLS in clear, maybe masked, or not at all."""
    if ehlo is None or ehlo.code != 250:
        return StarttlsOffer.NONE
    keywords = [keyword for keyword, _ in ehlo_keywords(ehlo.lines)]
    if "STARTTLS" in keywords:
        return StarttlsOffer.CLEAR
    if any(_is_starttls_mask(keyword) for keyword in keywords):
        return StarttlsOffer.MASKED
    return StarttlsOffer.NONE


def _is_starttls_mask(keyword: str) -> bool:
    """ASA masks STARTTLS as `XXXXXXXA`; CHUNKING masks the same way, so only a probe can tell."""
    return len(keyword) == _STARTTLS_LEN and _MASKED_KEYWORD.match(keyword) is not None


def _find(transcript: Sequence[Exchange], step: Step) -> Exchange | None:
    return next((exchange for exchange in transcript if exchange.step is step), None)


def _masked_banner(transcript: Sequence[Exchange]) -> Signature | None:
    greeting = _find(transcript, Step.GREETING)
    if greeting is None or not is_masked_banner(greeting.lines):
        return None
    return Signature(name=SignatureName.MASKED_BANNER, evidence=greeting.lines)


def _ehlo_blocked(transcript: Sequence[Exchange]) -> Signature | None:
    """EHLO refused, unanswered, garbled, or answered as if it were a NOOP.

    Only `250` answers EHLO (RFC 5321); any other code, or none, means EHLO did not work.
    """
    ehlo = _find(transcript, Step.EHLO)
    if ehlo is None:
        return None
    noop = _find(transcript, Step.NOOP)
    if not ehlo.answered or ehlo.code != 250:
        return Signature(name=SignatureName.EHLO_BLOCKED, evidence=(ehlo.show(),))
    if not is_noop_style(ehlo, noop):
        return None
    evidence = [ehlo.show()]
    if noop is not None and noop.answered:
        evidence.append(f"{noop.show()} (for comparison)")
    return Signature(name=SignatureName.EHLO_BLOCKED, evidence=tuple(evidence))


def _masked_starttls_line(ehlo: Exchange) -> str | None:
    return next((line for kw, line in ehlo_keywords(ehlo.lines) if _is_starttls_mask(kw)), None)


def _starttls_blocked(transcript: Sequence[Exchange]) -> Signature | None:
    """STARTTLS masked and refused, or offered and refused, or a handshake that fails.

    A masked 8-letter keyword may be CHUNKING rather than STARTTLS; the probe then sends STARTTLS
    anyway, and a working handshake clears it (the keyword goes to `extensions-masked`).
    """
    ehlo = _find(transcript, Step.EHLO)
    offer = starttls_offer(ehlo)
    if ehlo is None or offer is StarttlsOffer.NONE:
        return None
    starttls = _find(transcript, Step.STARTTLS)
    tls = _find(transcript, Step.TLS)
    if starttls is None and offer is StarttlsOffer.CLEAR:
        return None  # never tried: the session was cut short, which classify reports
    tls_ok = tls is not None and tls.end is ReplyEnd.COMPLETE
    if starttls is not None and starttls.code == 220 and tls_ok:
        return None
    evidence = [f"EHLO reply: {_masked_starttls_line(ehlo) or 'STARTTLS offered'}"]
    evidence += [exchange.show() for exchange in (starttls, tls) if exchange is not None]
    return Signature(name=SignatureName.STARTTLS_BLOCKED, evidence=tuple(evidence))


def _extensions_masked(
    transcript: Sequence[Exchange], starttls: Signature | None
) -> Signature | None:
    """Masked EHLO keywords other than the one already blamed as STARTTLS."""
    ehlo = _find(transcript, Step.EHLO)
    if ehlo is None or ehlo.code != 250:
        return None
    masked = [line for kw, line in ehlo_keywords(ehlo.lines) if _MASKED_KEYWORD.match(kw)]
    blamed = _masked_starttls_line(ehlo)
    if starttls is not None and blamed in masked:
        masked.remove(blamed)
    if not masked:
        return None
    return Signature(name=SignatureName.EXTENSIONS_MASKED, evidence=tuple(masked))


def _unknown_verb(transcript: Sequence[Exchange]) -> Signature | None:
    """A 2xx to the unknown verb (PIX made it a NOOP), or a refusal quoting it as X's (ASA)."""
    unknown = _find(transcript, Step.UNKNOWN_VERB)
    if unknown is None or not unknown.answered or unknown.code is None:
        return None
    if unknown.code // 100 == 2:
        evidence = [unknown.show()]
        noop = _find(transcript, Step.NOOP)
        if noop is not None and noop.lines and noop.lines[0] == unknown.lines[0]:
            evidence.append(f"{noop.show()} (the same reply: the verb became a NOOP)")
        return Signature(name=SignatureName.UNKNOWN_COMMAND_OK, evidence=tuple(evidence))
    text = " ".join(unknown.lines)
    if _MASKED_ECHO.search(text) and UNKNOWN_VERB not in text.upper():
        return Signature(name=SignatureName.COMMAND_MASKED, evidence=(unknown.show(),))
    return None


def _signatures(transcript: Sequence[Exchange]) -> tuple[Signature, ...]:
    starttls = _starttls_blocked(transcript)
    found = (
        _masked_banner(transcript),
        _ehlo_blocked(transcript),
        starttls,
        _unknown_verb(transcript),
        _extensions_masked(transcript, starttls),
    )
    order = list(SignatureName)
    return tuple(sorted((s for s in found if s is not None), key=lambda s: order.index(s.name)))


def _cut_short(transcript: Sequence[Exchange]) -> str | None:
    """Why the session cannot support a `clean` or `inspected` verdict, or None when complete."""
    for step in (Step.EHLO, Step.UNKNOWN_VERB, Step.NOOP):
        exchange = _find(transcript, step)
        if exchange is None:
            return f"session ended before the {step.value} step"
        if not exchange.answered:
            return exchange.show()
    offered = starttls_offer(_find(transcript, Step.EHLO)) is not StarttlsOffer.NONE
    if offered and _find(transcript, Step.STARTTLS) is None:
        return "session ended before the starttls step"
    return None


def _greeting_verdict(greeting: Exchange | None) -> Classification | None:
    """The verdict when the greeting alone decides it: nothing, or something that is not SMTP
    (garbage, or a greeting that never ends), or a service that refuses; else None."""
    if greeting is None or not greeting.lines:
        why = greeting.note or greeting.end.value if greeting is not None else "not read"
        return _not_smtp(f"no SMTP greeting ({why})")
    first = greeting.lines[0][:80]
    if not is_smtp_greeting(greeting.lines):
        return _not_smtp(f"not an SMTP greeting: {first!r}")
    if greeting.end is ReplyEnd.TOO_LONG:  # it answers, endlessly: no mail server does that
        return _not_smtp(f"the greeting never ended ({greeting.note}); it began {first!r}")
    masked = is_masked_banner(greeting.lines)
    if not masked and greeting.code is not None and greeting.code // 100 != 2:
        return Classification(
            verdict=Verdict.UNREACHABLE, signatures=(), error=f"service refused: {greeting.show()}"
        )
    return None


def _not_smtp(error: str) -> Classification:
    return Classification(verdict=Verdict.NOT_SMTP, signatures=(), error=error)


def classify(transcript: Sequence[Exchange]) -> Classification:
    """Judge one probe session from its transcript alone.

    `clean` and `inspected` need the whole sequence (greeting, EHLO, unknown verb, NOOP, and
    STARTTLS when offered): a session cut short without a breaking signature is `unreachable`,
    because "could not tell" must never read as "clean".
    """
    greeting = _find(transcript, Step.GREETING)
    refused = _greeting_verdict(greeting)
    if refused is not None:
        return refused
    signatures = _signatures(transcript)
    names = {signature.name for signature in signatures}
    if names & BREAKING:
        return Classification(verdict=Verdict.MAILGUARD, signatures=signatures)
    gap = _cut_short(transcript)
    if gap is not None:
        return Classification(verdict=Verdict.UNREACHABLE, signatures=signatures, error=gap)
    verdict = Verdict.INSPECTED if names else Verdict.CLEAN
    return Classification(verdict=verdict, signatures=signatures)
