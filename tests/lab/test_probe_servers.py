"""The probe against real servers on 127.0.0.1: aiosmtpd with no firewall in front is `clean`, a
closed port `unreachable`, an HTTP server `not-smtp`; scripted servers replay what Mailguard
shows from outside, byte for byte, including a server that sends one byte at a time.
"""

from __future__ import annotations

import asyncio
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import click
import pytest
from aiosmtpd.smtp import SMTP
from click.testing import CliRunner

from pixfix.cli import PixfixGroup
from pixfix.cli import probe as probe_cli
from pixfix.lab.smtp import self_signed_tls_context
from pixfix.probe.classify import ReplyEnd, SignatureName, Step, Verdict
from pixfix.probe.smtp import probe, probe_many
from pixfix.probe.target import Target

LOCAL = "127.0.0.1"
TIMEOUT = 2.0


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


@contextmanager
def aiosmtpd_server(tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """A real ESMTP server (aiosmtpd) on 127.0.0.1 and an ephemeral port, stopped on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def factory() -> SMTP:
        return SMTP(_Sink(), hostname="mx.test", tls_context=tls)

    created = asyncio.run_coroutine_threadsafe(loop.create_server(factory, LOCAL, 0), loop)
    server = created.result(5)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        asyncio.run_coroutine_threadsafe(_close(server), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _close(server: asyncio.Server) -> None:
    """Close in the server's own loop: asyncio servers are not thread-safe."""
    server.close()
    await server.wait_closed()


class ScriptedSmtp(socketserver.ThreadingTCPServer):
    """Replays fixed replies, as a server behind some firewall looks from outside.

    Records every chunk it receives, so a test can see how the probe wrote its commands.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, greeting: bytes, replies: dict[str, bytes], *, byte_delay: float = 0
    ) -> None:
        super().__init__((LOCAL, 0), _ScriptedHandler)
        self.greeting = greeting
        self.replies = replies
        self.byte_delay = byte_delay
        self.chunks: list[bytes] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def send(self, conn: socket.socket, data: bytes) -> None:
        if not self.byte_delay:
            conn.sendall(data)
            return
        for index in range(len(data)):
            conn.sendall(data[index : index + 1])
            threading.Event().wait(self.byte_delay)


class _ScriptedHandler(socketserver.BaseRequestHandler):
    server: ScriptedSmtp

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        try:
            self.server.send(conn, self.server.greeting)
            self._answer(conn)
        except OSError:
            return

    def _answer(self, conn: socket.socket) -> None:
        buffer = b""
        while chunk := conn.recv(1024):
            self.server.chunks.append(chunk)
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                verb = line.decode("ascii", "replace").strip().split(" ")[0].upper()
                reply = self.server.replies.get(verb, b"500 5.5.1 Command unrecognized\r\n")
                self.server.send(conn, reply)
                if verb == "QUIT":
                    return


@contextmanager
def scripted(
    greeting: bytes, replies: dict[str, bytes], *, byte_delay: float = 0
) -> Iterator[ScriptedSmtp]:
    server = ScriptedSmtp(greeting, replies, byte_delay=byte_delay)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


SENDMAIL_REPLIES = {
    "EHLO": b"250-mx.test Hello [127.0.0.1], pleased to meet you\r\n250-8BITMIME\r\n250 HELP\r\n",
    "NOOP": b"250 2.0.0 OK\r\n",
    "QUIT": b"221 2.0.0 mx.test closing connection\r\n",
}
PIX_REPLIES = {
    "EHLO": b"250 2.0.0 OK\r\n",
    "GOODMORNING": b"250 2.0.0 OK\r\n",
    "NOOP": b"250 2.0.0 OK\r\n",
    "QUIT": b"221 2.0.0 closing\r\n",
}


def names(target_port: int) -> tuple[Verdict, list[SignatureName]]:
    result = probe(Target(host=LOCAL, port=target_port), timeout=TIMEOUT)
    return result.verdict, [s.name for s in result.signatures]


def test_aiosmtpd_without_firewall_is_clean() -> None:
    with aiosmtpd_server() as port:
        result = probe(Target(host=LOCAL, port=port), timeout=TIMEOUT)
    assert result.verdict is Verdict.CLEAN, result
    assert result.signatures == ()
    assert [e.step for e in result.transcript] == [
        Step.GREETING,
        Step.EHLO,
        Step.UNKNOWN_VERB,
        Step.NOOP,
        Step.QUIT,
    ]
    assert result.transcript[1].lines[0] == "250-mx.test"
    assert result.transcript[-1].code == 221


def test_aiosmtpd_with_starttls_completes_a_handshake_and_is_clean() -> None:
    with aiosmtpd_server(self_signed_tls_context("mx.test")) as port:
        result = probe(Target(host=LOCAL, port=port), timeout=TIMEOUT)
    assert result.verdict is Verdict.CLEAN, result
    steps = {e.step: e for e in result.transcript}
    assert steps[Step.STARTTLS].code == 220
    assert steps[Step.TLS].end is ReplyEnd.COMPLETE
    assert steps[Step.QUIT].code == 221  # QUIT went over TLS


def test_host_names_resolve() -> None:
    with aiosmtpd_server() as port:
        result = probe(Target(host="localhost", port=port), timeout=TIMEOUT)
    assert result.verdict is Verdict.CLEAN, result


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as placeholder:
        placeholder.bind((LOCAL, 0))
        port = placeholder.getsockname()[1]
    result = probe(Target(host=LOCAL, port=port), timeout=TIMEOUT)
    assert result.verdict is Verdict.UNREACHABLE
    assert result.error == "connection refused"
    assert result.transcript == ()


def test_unresolvable_name_is_unreachable() -> None:
    result = probe(Target(host="no-such-host.invalid"), timeout=TIMEOUT)
    assert result.verdict is Verdict.UNREACHABLE
    assert result.error is not None
    assert result.error.startswith("cannot resolve no-such-host.invalid")


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


def test_http_server_is_not_smtp_and_is_sent_nothing() -> None:
    server = ThreadingHTTPServer((LOCAL, 0), _QuietHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        result = probe(Target(host=LOCAL, port=server.server_address[1]), timeout=1.0)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert result.verdict is Verdict.NOT_SMTP
    assert result.error == "no SMTP greeting (no data within 1s)"
    assert [e.sent for e in result.transcript] == [None]


def test_server_that_speaks_http_first_is_not_smtp() -> None:
    with scripted(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n", {}) as server:
        result = probe(Target(host=LOCAL, port=server.port), timeout=TIMEOUT)
    assert result.verdict is Verdict.NOT_SMTP
    assert result.error == "not an SMTP greeting: 'HTTP/1.0 400 Bad Request'"
    assert server.chunks == []


@pytest.mark.parametrize(
    ("greeting", "evidence"),
    [
        (b"220-mx.test ESMTP and on and on\r\n" * 4000, "the greeting never ended (over 65536"),
        (bytes(range(256)) * 400, "not an SMTP greeting: '\\x00"),
    ],
    ids=["endless-banner", "garbage"],
)
def test_a_server_that_answers_but_not_with_smtp_is_not_smtp(
    greeting: bytes, evidence: str
) -> None:
    """It is reachable (it answered) and it is not a mail server: never `unreachable`."""
    with scripted(greeting, {}) as server:
        result = probe(Target(host=LOCAL, port=server.port), timeout=TIMEOUT)
    assert result.verdict is Verdict.NOT_SMTP
    assert result.error is not None and result.error.startswith(evidence), result.error
    assert [e.sent for e in result.transcript] == [None]  # nothing was said to it


def test_pix_fixup_seen_from_outside_is_mailguard() -> None:
    greeting = b"220*************************\r\n220 ****0*2******0*****\r\n"
    with scripted(greeting, PIX_REPLIES) as server:
        verdict, found = names(server.port)
    assert verdict is Verdict.MAILGUARD
    assert found == [
        SignatureName.MASKED_BANNER,
        SignatureName.EHLO_BLOCKED,
        SignatureName.UNKNOWN_COMMAND_OK,
    ]


def test_masked_greeting_without_final_line_is_read_whole() -> None:
    with scripted(b"2002*******2***0*00\r\n", PIX_REPLIES) as server:
        result = probe(Target(host=LOCAL, port=server.port), timeout=TIMEOUT)
    assert result.verdict is Verdict.MAILGUARD
    assert result.transcript[0].lines == ("2002*******2***0*00",)
    assert result.transcript[0].end is ReplyEnd.QUIET
    assert result.transcript[1].lines == ("250 2.0.0 OK",)


def test_asa_default_map_seen_from_outside_blocks_starttls() -> None:
    replies = {
        **SENDMAIL_REPLIES,
        "EHLO": b"250-mx.test\r\n250-XXXXXXXA\r\n250-8BITMIME\r\n250 XXXXXXXA\r\n",
        "STARTTLS": b'500 5.5.1 Command unrecognized: "XXXXXXXX"\r\n',
    }
    with scripted(b"220 *****************0**\r\n", replies) as server:
        verdict, found = names(server.port)
    assert verdict is Verdict.MAILGUARD
    assert found == [
        SignatureName.MASKED_BANNER,
        SignatureName.STARTTLS_BLOCKED,
        SignatureName.EXTENSIONS_MASKED,
    ]


def test_server_sending_one_byte_at_a_time_is_read_whole() -> None:
    with scripted(b"220 mx.test ESMTP\r\n", SENDMAIL_REPLIES, byte_delay=0.002) as server:
        result = probe(Target(host=LOCAL, port=server.port), timeout=TIMEOUT)
    assert result.verdict is Verdict.CLEAN, result
    assert result.transcript[1].lines[-1] == "250 HELP"


def test_each_command_is_one_whole_line_never_pipelined() -> None:
    with scripted(b"220 mx.test ESMTP\r\n", SENDMAIL_REPLIES) as server:
        probe(Target(host=LOCAL, port=server.port), timeout=TIMEOUT)
    assert server.chunks == [b"EHLO [127.0.0.1]\r\n", b"GOODMORNING\r\n", b"NOOP\r\n", b"QUIT\r\n"]


def test_char_at_a_time_sends_commands_in_pieces() -> None:
    """The naive-telnet emulation: what makes a firewall garble commands (demos only)."""
    with scripted(b"220 mx.test ESMTP\r\n", SENDMAIL_REPLIES) as server:
        result = probe(Target(host=LOCAL, port=server.port), timeout=TIMEOUT, char_at_a_time=True)
    assert result.verdict is Verdict.CLEAN
    assert b"".join(server.chunks).startswith(b"EHLO [127.0.0.1]\r\nGOODMORNING\r\n")
    assert len(server.chunks) > 8


def test_probe_many_keeps_order() -> None:
    with (
        aiosmtpd_server() as clean_port,
        scripted(b"220 ******\r\n", PIX_REPLIES) as pix,
        socket.socket() as placeholder,
    ):
        placeholder.bind((LOCAL, 0))
        closed = placeholder.getsockname()[1]
        ports = [clean_port, pix.port, closed, clean_port, pix.port]
        results = probe_many(
            [Target(host=LOCAL, port=p) for p in ports], workers=2, timeout=TIMEOUT
        )
    assert [r.target.port for r in results] == ports
    assert [r.verdict for r in results] == [
        Verdict.CLEAN,
        Verdict.MAILGUARD,
        Verdict.UNREACHABLE,
        Verdict.CLEAN,
        Verdict.MAILGUARD,
    ]


@pytest.fixture
def cli() -> click.Group:
    group = PixfixGroup("pixfix")
    group.add_command(probe_cli.probe)
    return group


def test_cli_end_to_end(cli: click.Group) -> None:
    with aiosmtpd_server() as port, scripted(b"220 ******\r\n", PIX_REPLIES) as pix:
        clean = CliRunner().invoke(cli, ["probe", f"{LOCAL}:{port}", "--timeout", "2"])
        broken = CliRunner().invoke(cli, ["probe", f"{LOCAL}:{pix.port}", "--timeout", "2"])
    assert clean.exit_code == 0, clean.output
    assert "no signature seen" in clean.output
    assert broken.exit_code == 1, broken.output
    assert "masked-banner: 220 ******" in broken.output
