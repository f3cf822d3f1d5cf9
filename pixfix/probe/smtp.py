"""`pixfix probe`: look at an MX from outside for the traces SMTP inspection leaves.

The socket work lives here, at the edge; what a transcript means is decided by the pure
`pixfix.probe.classify`. The session is fixed: greeting, EHLO, an unknown verb, NOOP (for
comparison), STARTTLS only when offered in clear or masked (then a TLS handshake that verifies
nothing: it only proves TLS gets through), and QUIT. It never sends mail, never pipelines, and
sends each command as one whole line, because a firewall that sees a command arrive one byte at
a time garbles it, and that would be a false positive.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import logging
import re
import selectors
import socket
import ssl
import time
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from pixfix.errors import InputError
from pixfix.fleet import run_each
from pixfix.probe.classify import (
    UNKNOWN_VERB,
    Exchange,
    ReplyEnd,
    Signature,
    StarttlsOffer,
    Step,
    Verdict,
    classify,
    is_masked_banner,
    is_smtp_greeting,
    reply_code,
    starttls_offer,
)
from pixfix.probe.target import Target

logger = logging.getLogger(__name__)

QUIET_INTERVAL = 1.0  # seconds of silence that end a reply with no final line (masked replies)
MAX_REPLY_BYTES = 64 * 1024
CHAR_DELAY = 0.01  # seconds between bytes in the naive-telnet emulation

_FINAL_LINE = re.compile(r"^\d{3}(?: |$)")
_CONTINUATION = re.compile(r"^\d{3}-")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """The outcome for one target: verdict, signatures with evidence, and the whole transcript."""

    target: Target
    verdict: Verdict
    signatures: tuple[Signature, ...]
    transcript: tuple[Exchange, ...]
    error: str | None = None


class ReplyReader:
    """Reads SMTP replies by hand, because masked replies break the usual framing rule.

    A reply normally ends at a line whose fourth character is a space (`250 OK`). A masked
    multi-line greeting has lost its dashes (`220*****` lines) and one masked down to
    `2002*******2***0*00` may have no final line at all, so smtplib would hang or fail on it.
    Here a reply ends at a final line; after a line that is neither final nor a proper
    continuation (`250-`), it also ends when nothing more arrives within the quiet interval.
    A partial line never ends a reply by silence, so a server that sends one byte at a time
    is read whole. Bytes after a final line stay buffered for the next read.
    """

    def __init__(self, sock: socket.socket, *, quiet: float) -> None:
        self._sock = sock
        self._quiet = quiet
        self._buffer = bytearray()
        self._size = 0

    def rebind(self, sock: socket.socket) -> None:
        """Read from `sock` (the TLS socket) from now on; plaintext read ahead is dropped."""
        if self._buffer:
            logger.warning("dropping %d bytes received before the TLS handshake", len(self._buffer))
        self._sock, self._buffer = sock, bytearray()

    def has_pending(self) -> bool:
        """True when unread data is buffered or waiting on the socket right now."""
        if self._buffer or (isinstance(self._sock, ssl.SSLSocket) and self._sock.pending()):
            return True
        with selectors.DefaultSelector() as selector:  # not select(): no limit on fd numbers
            selector.register(self._sock, selectors.EVENT_READ)
            return bool(selector.select(0))

    def read(self, timeout: float) -> tuple[tuple[str, ...], ReplyEnd, str]:
        """One reply: its lines (CR/LF removed), how it ended, and a note when it ended badly."""
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        self._size = 0
        while True:
            if self._take_lines(lines):
                return tuple(lines), ReplyEnd.COMPLETE, ""
            if self._size > MAX_REPLY_BYTES:
                return self._finish(lines, ReplyEnd.TOO_LONG, f"over {MAX_REPLY_BYTES} bytes")
            quiet = bool(lines) and not self._buffer and not _CONTINUATION.match(lines[-1])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                waited = f"no {'more ' if lines or self._buffer else ''}data within {timeout:g}s"
                return self._finish(lines, ReplyEnd.TIMEOUT, waited)
            self._sock.settimeout(min(remaining, self._quiet) if quiet else remaining)
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                if quiet:
                    return tuple(lines), ReplyEnd.QUIET, f"no final line; silent {self._quiet:g}s"
                continue
            except OSError as exc:
                return self._finish(lines, ReplyEnd.CLOSED, f"connection error: {exc}")
            if not data:
                return self._finish(lines, ReplyEnd.CLOSED, "connection closed by the server")
            self._buffer += data
            self._size += len(data)

    def _take_lines(self, lines: list[str]) -> bool:
        """Move whole lines from the buffer to `lines`; True once a final line was moved."""
        while (newline := self._buffer.find(b"\n")) >= 0:
            raw = bytes(self._buffer[: newline + 1])
            del self._buffer[: newline + 1]
            lines.append(_decode(raw))
            if _FINAL_LINE.match(lines[-1]):
                return True
        return False

    def _finish(
        self, lines: list[str], end: ReplyEnd, note: str
    ) -> tuple[tuple[str, ...], ReplyEnd, str]:
        if self._buffer:
            lines.append(_decode(bytes(self._buffer)))
            self._buffer.clear()
        return tuple(lines), end, note


def _decode(raw: bytes) -> str:
    return raw.rstrip(b"\r\n").decode("utf-8", errors="backslashreplace")


class _TargetLog(logging.LoggerAdapter[logging.Logger]):
    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return f"{self.extra['target'] if self.extra else '?'}: {msg}", kwargs


@dataclass(frozen=True, slots=True, kw_only=True)
class _Options:
    timeout: float
    quiet: float
    char_at_a_time: bool


class _Session:
    """One SMTP conversation; it records every exchange, in order, as it happens."""

    def __init__(self, sock: socket.socket, options: _Options, log: _TargetLog) -> None:
        self._sock = sock
        self._options = options
        self._log = log
        self._reader = ReplyReader(sock, quiet=options.quiet)
        self._transcript: list[Exchange] = []

    def run(self, server_name: str) -> tuple[Exchange, ...]:
        """Greeting, EHLO, unknown verb, NOOP, STARTTLS when offered, QUIT; stop when cut off."""
        greeting = self._exchange(Step.GREETING, None)
        if not greeting.answered or not is_smtp_greeting(greeting.lines):
            return tuple(self._transcript)  # not SMTP: say nothing more to it
        refused = greeting.code is not None and greeting.code // 100 != 2
        if not refused or is_masked_banner(greeting.lines):
            for step, line in (
                (Step.EHLO, f"EHLO {self._helo_name()}"),
                (Step.UNKNOWN_VERB, UNKNOWN_VERB),
                (Step.NOOP, "NOOP"),
            ):
                if not self._exchange(step, line).answered:
                    return tuple(self._transcript)
            if not self._try_starttls(server_name):
                return tuple(self._transcript)
        self._exchange(Step.QUIT, "QUIT")
        return tuple(self._transcript)

    def close(self) -> None:
        self._sock.close()

    def _try_starttls(self, server_name: str) -> bool:
        """STARTTLS when offered or masked, then a handshake; False when the session is over."""
        if starttls_offer(self._transcript[1]) is StarttlsOffer.NONE:
            return True
        reply = self._exchange(Step.STARTTLS, "STARTTLS")
        if reply.code != 220:
            return reply.answered
        return self._handshake(server_name).end is ReplyEnd.COMPLETE

    def _handshake(self, server_name: str) -> Exchange:
        try:
            self._sock.settimeout(self._options.timeout)
            tls = _tls_context().wrap_socket(self._sock, server_hostname=_sni(server_name))
        except OSError as exc:
            note, end = f"TLS handshake failed: {exc}", ReplyEnd.FAILED
        else:
            self._sock = tls
            self._reader.rebind(tls)
            cipher = tls.cipher()
            note = f"TLS handshake completed: {tls.version()} {cipher[0] if cipher else ''}"
            end = ReplyEnd.COMPLETE
        self._log.debug("%s", note)
        exchange = Exchange(step=Step.TLS, sent=None, code=None, lines=(), end=end, note=note)
        self._transcript.append(exchange)
        return exchange

    def _exchange(self, step: Step, line: str | None) -> Exchange:
        """Send `line` (unless None) as one write, read the whole reply, record both."""
        if line is not None:
            self._absorb_late_lines()
            try:
                self._send(line)
            except OSError as exc:
                note = f"send failed: {exc}"
                failed = Exchange(
                    step=step, sent=line, code=None, lines=(), end=ReplyEnd.FAILED, note=note
                )
                self._transcript.append(failed)
                return failed
            self._log.debug(">>> %s", line)
        lines, end, note = self._reader.read(self._options.timeout)
        for received in lines:
            self._log.debug("<<< %s", received)
        exchange = Exchange(
            step=step, sent=line, code=reply_code(lines), lines=lines, end=end, note=note
        )
        self._transcript.append(exchange)
        return exchange

    def _absorb_late_lines(self) -> None:
        """Lines that arrive after a reply ended by silence belong to that reply, not the next."""
        if not self._transcript or not self._reader.has_pending():
            return
        lines, _, _ = self._reader.read(self._options.quiet)
        if lines:
            last = self._transcript[-1]
            note = f"{len(lines)} line(s) arrived late"
            self._transcript[-1] = dataclasses.replace(last, lines=last.lines + lines, note=note)

    def _send(self, line: str) -> None:
        data = f"{line}\r\n".encode("ascii")
        self._sock.settimeout(self._options.timeout)
        if not self._options.char_at_a_time:
            self._sock.sendall(data)
            return
        for index in range(len(data)):
            self._sock.sendall(data[index : index + 1])
            time.sleep(CHAR_DELAY)

    def _helo_name(self) -> str:
        """Our address as an RFC 5321 address literal: we have no name the server could check."""
        local = str(self._sock.getsockname()[0]).split("%")[0]
        return f"[IPv6:{local}]" if ":" in local else f"[{local}]"


def _tls_context() -> ssl.SSLContext:
    """A context that accepts any certificate and old protocols.

    The probe proves that a handshake gets through the firewall, not that the certificate is
    good; servers of the KB 320027 era may speak only TLS 1.0, which must not read as blocked.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED  # with SECLEVEL=0: TLS 1.0 too
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def _sni(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def probe(target: Target, *, timeout: float, char_at_a_time: bool = False) -> ProbeResult:
    """Probe one target; every failure ends as the result's verdict, never as an exception.

    `timeout` bounds the connection and each step. `char_at_a_time=True` sends every command one
    byte per write, like a naive telnet client: tests and demos use it to show how Mailguard
    garbles such input. Never use it to judge a real server.
    """
    if timeout <= 0:
        raise InputError(f"the probe timeout must be positive, not {timeout:g}")
    log = _TargetLog(logger, {"target": target.address})
    try:
        sock = socket.create_connection((target.host, target.port), timeout=timeout)
    except OSError as exc:
        error = _connect_error(exc, target, timeout)
        log.info("unreachable: %s", error)
        return ProbeResult(
            target=target, verdict=Verdict.UNREACHABLE, signatures=(), transcript=(), error=error
        )
    if char_at_a_time:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    options = _Options(
        timeout=timeout, quiet=min(QUIET_INTERVAL, timeout), char_at_a_time=char_at_a_time
    )
    session = _Session(sock, options, log)
    try:
        transcript = session.run(target.host)
    finally:
        session.close()
    judged = classify(transcript)
    log.info("%s %s", judged.verdict.value, [s.name.value for s in judged.signatures])
    return ProbeResult(
        target=target,
        verdict=judged.verdict,
        signatures=judged.signatures,
        transcript=transcript,
        error=judged.error,
    )


def _connect_error(exc: OSError, target: Target, timeout: float) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {target.host}: {exc.strerror}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return f"no connection within {timeout:g}s"
    return f"cannot connect: {exc.strerror or exc}"


def probe_many(
    targets: Iterable[Target], *, workers: int, timeout: float, char_at_a_time: bool = False
) -> list[ProbeResult]:
    """Probe targets with at most `workers` at once; results keep the order of `targets`."""
    if workers < 1:
        raise InputError(f"workers must be at least 1, not {workers}")
    run = functools.partial(probe, timeout=timeout, char_at_a_time=char_at_a_time)
    return run_each(list(targets), run, workers=workers)
