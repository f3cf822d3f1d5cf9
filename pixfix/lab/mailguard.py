"""Pure rules of the emulated SMTP inspection ("Mailguard") of PIX, ASA and FWSM.

No sockets here: `MailguardSession` (no inspection, PIX 5.1+ fixup, ASA ESMTP) and
`MailhostSession` (PIX 4.x) are sans-I/O state machines fed with what each side sent and
returning what to pass on, so every rule is testable from literal text.
`pixfix.lab.smtp` does the socket I/O around them.

Reassembly rule (reproduces the character-at-a-time false positive): a command line is only
understood if the read that carries its first byte also carries its line end. A line split over
several reads is "garbled": PIX forwards it as `NOOP`, ASA as X's (`HELO` typed char by char
reaches the server as `XXXX`).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field

RFC821_VERBS = frozenset({"HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"})
"""The only verbs PIX Mailguard lets through (RFC 821 section 4.5.1 minimum set)."""

ESMTP_VERBS = RFC821_VERBS | {"AUTH", "EHLO", "ETRN", "HELP", "SAML", "SEND", "SOML", "VRFY"}
"""Verbs ASA ESMTP inspection passes; STARTTLS joins them only with `allow-tls`."""

ESMTP_KNOWN_EHLO_KEYWORDS = frozenset(
    {"8BITMIME", "AUTH", "BINARYMIME", "CHECKPOINT", "DSN", "ENHANCEDSTATUSCODES", "ETRN"}
    | {"PIPELINING", "SIZE", "VRFY"}
)
"""EHLO keywords the ASA names in `match ehlo-reply-parameter`; anything else is `others`."""

MAILHOST_GREETING = b"220 SMTP/cmap_____ read\r\n"
"""Greeting of the PIX 4.x mailhost proxy (not confirmed on a device)."""

_BANNER_KEEP = b"20\r\n"
_BANNER_TABLE = bytes(b if b in _BANNER_KEEP else ord("*") for b in range(256))
_X_TABLE = bytes(b if b in b"\r\n" else ord("X") for b in range(256))
_PIX_REPLACEMENT = b"NOOP\r\n"


class InspectionKind(enum.Enum):
    """Which SMTP inspection a device applies to its mail server's traffic."""

    NONE = "none"
    PIX_FIXUP = "pix-fixup"
    PIX_MAILHOST = "pix-mailhost"
    ESMTP = "esmtp"


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpInspection:
    """The SMTP inspection in force on a device; the ESMTP flags mirror the inspect map."""

    kind: InspectionKind
    mask_banner: bool = True
    allow_tls: bool = False
    mask_others: bool = True

    @classmethod
    def none(cls) -> SmtpInspection:
        """No inspection: `no fixup protocol smtp 25` or no `inspect esmtp` bound."""
        return cls(kind=InspectionKind.NONE)

    @classmethod
    def pix_fixup(cls) -> SmtpInspection:
        """PIX 4.2-6.3 / FWSM 2.x `fixup protocol smtp 25`."""
        return cls(kind=InspectionKind.PIX_FIXUP)

    @classmethod
    def mailhost(cls) -> SmtpInspection:
        """PIX 4.0-4.1 `mailhost` proxy."""
        return cls(kind=InspectionKind.PIX_MAILHOST)

    @classmethod
    def esmtp_default(cls) -> SmtpInspection:
        """`inspect esmtp` with `_default_esmtp_map` (mask-banner, no allow-tls, others masked)."""
        return cls(kind=InspectionKind.ESMTP)

    @classmethod
    def esmtp_tuned(cls) -> SmtpInspection:
        """The "tune" fix: a map with `no mask-banner` and `allow-tls`, others still masked."""
        return cls(kind=InspectionKind.ESMTP, mask_banner=False, allow_tls=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientLine:
    """One command line as the firewall reassembled it; `garbled` if it came in pieces."""

    data: bytes
    garbled: bool


@dataclass(slots=True)
class CommandAssembler:
    """Split client bytes into lines, marking lines that did not arrive in one read.

    A line is garbled when the read carrying its first byte lacks its line end, which is how
    Mailguard mangles a telnet user typing `HELO` one character per TCP segment.
    """

    _pending: bytearray = field(default_factory=bytearray)

    def feed(self, chunk: bytes) -> list[ClientLine]:
        """Return the lines completed by `chunk`, keeping any unterminated tail."""
        lines: list[ClientLine] = []
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            if end < 0:
                self._pending += chunk[start:]
                break
            garbled = bool(self._pending)
            lines.append(
                ClientLine(data=bytes(self._pending) + chunk[start : end + 1], garbled=garbled)
            )
            self._pending.clear()
            start = end + 1
        return lines

    def drain(self) -> bytes:
        """Hand back and forget the unterminated tail (at EOF or when turning transparent)."""
        tail = bytes(self._pending)
        self._pending.clear()
        return tail


class Expect(enum.Enum):
    """What the next complete server reply answers, which decides how it is rewritten."""

    GREETING = "greeting"
    EHLO = "ehlo"
    STARTTLS = "starttls"
    DATA = "data"
    END_OF_DATA = "end-of-data"
    OTHER = "other"


def mask_banner(reply: bytes) -> bytes:
    """Mask a greeting the way PIX fixup and ASA `mask-banner` do.

    Every byte except `2`, `0`, CR and LF becomes `*`, length kept, inner spaces included. The
    space right after a reply code stays, since the masked banners seen in the wild read
    `220 ****...`; the `-` of a multi-line greeting is masked, so such a greeting no longer parses
    as one reply, as on the device.

    >>> mask_banner(b"220 mx.example.com ESMTP 2024\\r\\n")
    b'220 *********************202*\\r\\n'
    """
    lines, tail = split_lines(reply)
    return b"".join(_mask_banner_line(line) for line in [*lines, tail])


def _mask_banner_line(line: bytes) -> bytes:
    masked = line.translate(_BANNER_TABLE)
    if line[3:4] == b" ":
        masked = masked[:3] + b" " + masked[4:]
    return masked


def command_verb(line: bytes) -> str:
    """The verb of a client command line, upper-cased ("" for an empty or non-ASCII line)."""
    verb = line.rstrip(b"\r\n").split(b" ", 1)[0]
    try:
        return verb.decode("ascii").upper()
    except UnicodeDecodeError:
        return ""


def allowed_verbs(inspection: SmtpInspection) -> frozenset[str]:
    """Verbs the inspection forwards untouched."""
    if inspection.kind is InspectionKind.PIX_FIXUP:
        return RFC821_VERBS
    if inspection.allow_tls:
        return ESMTP_VERBS | {"STARTTLS"}
    return ESMTP_VERBS


def x_out_verb(line: bytes) -> bytes:
    """Replace the verb of `line` with X's of the same length, keeping its arguments."""
    verb, sep, rest = line.partition(b" ")
    if not sep:
        return line.translate(_X_TABLE)
    return b"X" * len(verb) + sep + rest


def rewrite_command(line: bytes, inspection: SmtpInspection, *, garbled: bool = False) -> bytes:
    """The bytes the firewall forwards to the server for one client command line.

    PIX fixup forwards a disallowed or garbled command as `NOOP`; ASA ESMTP X's the verb of a
    disallowed command and every byte of a garbled one. The PIX 4 mailhost never forwards.

    >>> rewrite_command(b"EHLO client\\r\\n", SmtpInspection.pix_fixup())
    b'NOOP\\r\\n'
    >>> rewrite_command(b"goodmorning\\r\\n", SmtpInspection.esmtp_default())
    b'XXXXXXXXXXX\\r\\n'
    """
    kind = inspection.kind
    if kind is InspectionKind.NONE:
        return line
    if kind is InspectionKind.PIX_MAILHOST:
        raise ValueError("the PIX 4 mailhost proxy answers commands itself, it forwards none")
    allowed = not garbled and command_verb(line) in allowed_verbs(inspection)
    if allowed:
        return line
    if kind is InspectionKind.PIX_FIXUP:
        return _PIX_REPLACEMENT
    return line.translate(_X_TABLE) if garbled else x_out_verb(line)


def mask_keyword(text: bytes) -> bytes:
    """X-mask an EHLO reply parameter like the ASA: X's, last letter `A` (`XXXXXXXA`)."""
    if not text:
        return text
    return b"X" * (len(text) - 1) + b"A"


def ehlo_keyword_masked(keyword: str, inspection: SmtpInspection) -> bool:
    """Whether ASA ESMTP inspection masks this EHLO keyword for the given map."""
    if inspection.kind is not InspectionKind.ESMTP:
        return False
    if keyword == "STARTTLS":
        return not inspection.allow_tls
    return inspection.mask_others and keyword not in ESMTP_KNOWN_EHLO_KEYWORDS


def mask_ehlo_reply(reply: bytes, inspection: SmtpInspection) -> bytes:
    """Mask the EHLO reply keywords the ESMTP map hides; the first (domain) line stays.

    The whole parameter text of a masked line is replaced (`250-CHUNKING` -> `250-XXXXXXXA`),
    length kept; code and separator stay, so the reply still parses.
    """
    lines, tail = split_lines(reply)
    out = lines[:1]
    for line in lines[1:]:
        body = line.rstrip(b"\r\n")
        eol = line[len(body) :]
        head, text = body[:4], body[4:]
        keyword = command_verb(text)
        if ehlo_keyword_masked(keyword, inspection):
            text = mask_keyword(text)
        out.append(head + text + eol)
    return b"".join(out) + tail


def is_last_reply_line(line: bytes) -> bool:
    """True for the final line of an SMTP reply (`250 OK`), False for `250-...` continuations."""
    return line[3:4] != b"-"


def reply_code(reply: bytes) -> int:
    """The numeric code of a reply (0 if the server sent something that is not SMTP)."""
    digits = reply[:3]
    return int(digits) if digits.isdigit() else 0


def expect_for(verb: str) -> Expect:
    """Which reply a forwarded command will get, for the rewriting of that reply."""
    return {"EHLO": Expect.EHLO, "STARTTLS": Expect.STARTTLS, "DATA": Expect.DATA}.get(
        verb, Expect.OTHER
    )


def split_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """Split `data` after each LF: the complete lines (LF kept) and the unterminated tail."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]], parts[-1]


class MailguardSession:
    """Sans-I/O state of one connection through a PIX fixup, an ASA ESMTP inspect or nothing.

    The inspection is a snapshot taken when the connection opened: a firewall applies a config
    change to new connections only. Commands are rewritten line by line; the server's replies are
    paired with the commands that caused them (no pipelining, as the inspection assumes) so the
    greeting and the EHLO reply can be masked. The body after `354` and the answer to an AUTH
    `334` challenge pass untouched, and after a `220` to a forwarded STARTTLS both directions turn
    transparent, since TLS hides the rest.
    """

    def __init__(self, inspection: SmtpInspection) -> None:
        if inspection.kind is InspectionKind.PIX_MAILHOST:
            raise ValueError("use MailhostSession for the PIX 4 mailhost proxy")
        self._inspection = inspection
        self._commands = CommandAssembler()
        self._reply = bytearray()
        self._server_tail = b""
        self._expect: deque[Expect] = deque([Expect.GREETING])
        self.in_data = False
        self._auth_answer_due = False
        self.transparent = inspection.kind is InspectionKind.NONE

    def client_data(self, chunk: bytes) -> bytes:
        """Bytes to forward to the server for one read from the client."""
        if self.transparent:
            return self._commands.drain() + chunk
        return b"".join(self._client_line(line) for line in self._commands.feed(chunk))

    def client_eof(self) -> bytes:
        """The unterminated tail the client left when it closed (forwarded as is)."""
        return self._commands.drain()

    def server_data(self, chunk: bytes) -> bytes:
        """Bytes to pass to the client for one read from the server (complete replies only)."""
        if self.transparent:
            return chunk
        lines, self._server_tail = split_lines(self._server_tail + chunk)
        out = bytearray()
        for index, line in enumerate(lines):
            self._reply += line
            if is_last_reply_line(line):
                out += self._finish_reply(bytes(self._reply))
                self._reply.clear()
                if self.transparent:
                    rest = b"".join(lines[index + 1 :]) + self._server_tail
                    self._server_tail = b""
                    return bytes(out) + rest
        return bytes(out)

    def _client_line(self, line: ClientLine) -> bytes:
        if self.in_data:
            if line.data.rstrip(b"\r\n") == b".":
                self.in_data = False
            return line.data
        if self._auth_answer_due:  # an AUTH challenge answer is base64, not a command
            self._auth_answer_due = False
            self._expect.append(Expect.OTHER)
            return line.data
        forwarded = rewrite_command(line.data, self._inspection, garbled=line.garbled)
        self._expect.append(expect_for(command_verb(forwarded)))
        return forwarded

    def _finish_reply(self, reply: bytes) -> bytes:
        expect = self._expect.popleft() if self._expect else Expect.OTHER
        code = reply_code(reply)
        if expect is Expect.GREETING and self._masks_banner():
            return mask_banner(reply)
        if expect is Expect.EHLO:
            return mask_ehlo_reply(reply, self._inspection)
        if expect is Expect.DATA and code == 354:
            self.in_data = True
            self._expect.appendleft(Expect.END_OF_DATA)
        elif expect is Expect.STARTTLS and code == 220:
            self.transparent = True
        self._auth_answer_due = code == 334
        return reply

    def _masks_banner(self) -> bool:
        kind = self._inspection.kind
        return kind is InspectionKind.PIX_FIXUP or (
            kind is InspectionKind.ESMTP and self._inspection.mask_banner
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalAnswer:
    """What the PIX 4 mailhost proxy says back itself, and whether it then hangs up."""

    data: bytes
    close: bool = False


class MailhostSession:
    """Sans-I/O PIX 4.x `mailhost`: the firewall itself is the SMTP peer and forwards nothing.

    It greets with `220 SMTP/cmap_____ read` and answers `250 OK` to every command, EHLO and
    unknown verbs included. Two exceptions keep a real client working: DATA gets `354` and the
    body is swallowed up to the `.` line (then `250 OK`), and QUIT gets `221 Bye` and a close.
    """

    greeting = MAILHOST_GREETING

    def __init__(self) -> None:
        self._commands = CommandAssembler()
        self._in_data = False

    def client_data(self, chunk: bytes) -> LocalAnswer:
        """The answers to every line completed by one read from the client."""
        out = bytearray()
        for line in self._commands.feed(chunk):
            answer = self._answer(line.data)
            out += answer.data
            if answer.close:
                return LocalAnswer(data=bytes(out), close=True)
        return LocalAnswer(data=bytes(out))

    def _answer(self, line: bytes) -> LocalAnswer:
        if self._in_data:
            if line.rstrip(b"\r\n") != b".":
                return LocalAnswer(data=b"")
            self._in_data = False
            return LocalAnswer(data=b"250 OK\r\n")
        verb = command_verb(line)
        if verb == "QUIT":
            return LocalAnswer(data=b"221 Bye\r\n", close=True)
        if verb == "DATA":
            self._in_data = True
            return LocalAnswer(data=b"354 Start mail input; end with <CRLF>.<CRLF>\r\n")
        return LocalAnswer(data=b"250 OK\r\n")
