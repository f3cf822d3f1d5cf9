"""End to end: the lab mail server behind Mailguard proxies, spoken to over real sockets.

The lab's asyncio loop runs in a thread; the tests are ordinary blocking SMTP clients (raw sockets
sending whole lines, and smtplib). Every server a test starts is stopped by the `smtp_lab` fixture,
which also checks that no asyncio task outlives it.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from pixfix.lab.mailguard import MAILHOST_GREETING, SmtpInspection, mask_banner
from pixfix.lab.smtp import SmtpBackend, close_mailguard_proxy, start_mailguard_proxy

T = TypeVar("T")
TIMEOUT = 5.0
REAL_GREETING = b"220 mail.lab.example ESMTP Postfix (pixfix lab)\r\n"
MESSAGE = "Subject: lab\r\n\r\nhello\r\n.leading dot\r\n"


class SmtpLab:
    """An asyncio loop in a thread holding one SmtpBackend and any number of endpoints."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.backend = SmtpBackend()
        self.servers: list[asyncio.Server] = []
        self.run(self.backend.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT * 2)

    def endpoint(
        self,
        inspection: SmtpInspection | Callable[[], SmtpInspection],
        *,
        latency_ms: int = 0,
        backend_port: int | None = None,
    ) -> int:
        """Open a proxy on an ephemeral port; a plain SmtpInspection stands for a fixed config."""
        current = inspection if callable(inspection) else (lambda: inspection)
        server = self.run(
            start_mailguard_proxy(
                host="127.0.0.1",
                port=0,
                backend_port=self.backend.port if backend_port is None else backend_port,
                inspection=current,
                latency_ms=latency_ms,
            )
        )
        self.servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    def close(self) -> list[asyncio.Task[Any]]:
        """Stop everything; return the tasks still alive (there should be none)."""
        try:
            for server in self.servers:
                self.run(close_mailguard_proxy(server))
            self.run(self.backend.stop())
            self.run(asyncio.sleep(0.05))
            return self.run(_other_tasks())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(TIMEOUT)
            if not self.thread.is_alive():
                self.loop.close()


async def _other_tasks() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]


@pytest.fixture
def smtp_lab() -> Iterator[SmtpLab]:
    the_lab = SmtpLab()
    try:
        yield the_lab
    finally:
        leftover = the_lab.close()
    assert leftover == []


class RawClient:
    """A line-at-a-time SMTP client on a plain socket: each command is one write."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def reply(self) -> bytes:
        """Read one whole reply (every line up to the one without a dash)."""
        lines = []
        while True:
            line = self.file.readline()
            assert line, "connection closed while waiting for a reply"
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def command(self, line: bytes) -> bytes:
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def typed(self, line: bytes) -> bytes:
        """Send one byte per write, like a person in telnet, then read the reply."""
        for byte in line + b"\r\n":
            self.sock.sendall(bytes([byte]))
            time.sleep(0.02)
        return self.reply()

    def at_eof(self) -> bool:
        try:
            return self.file.read() == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def smtp_client(port: int) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT)


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_no_inspection_shows_the_real_server(smtp_lab: SmtpLab) -> None:
    with RawClient(smtp_lab.endpoint(SmtpInspection.none())) as client:
        assert client.reply() == REAL_GREETING
        ehlo = client.command(b"EHLO probe.example")
        assert b"250-STARTTLS\r\n" in ehlo
        assert b"250 CHUNKING\r\n" in ehlo
        assert b"250-AUTH PLAIN LOGIN\r\n" in ehlo
        assert client.command(b"goodmorning") == (
            b'500 Error: command "GOODMORNING" not recognized\r\n'
        )
        assert client.command(b"NOOP") == b"250 OK\r\n"
        assert client.command(b"QUIT").startswith(b"221")
        assert client.at_eof()


def test_no_inspection_starttls_really_works(smtp_lab: SmtpLab) -> None:
    client = smtp_client(smtp_lab.endpoint(SmtpInspection.none()))
    try:
        client.ehlo("probe.example")
        assert client.has_extn("starttls")
        assert client.starttls(context=unverified_tls())[0] == 220
        assert isinstance(client.sock, ssl.SSLSocket)
        client.ehlo("probe.example")
        assert not client.has_extn("starttls")
        assert client.sendmail("a@lab.example", ["b@lab.example"], MESSAGE) == {}
    finally:
        client.quit()


def test_pix_fixup_masks_the_banner_and_noops_other_verbs(smtp_lab: SmtpLab) -> None:
    with RawClient(smtp_lab.endpoint(SmtpInspection.pix_fixup())) as client:
        banner = client.reply()
        assert banner == mask_banner(REAL_GREETING)
        assert set(banner[4:].rstrip(b"\r\n")) == {ord("*")}
        assert client.command(b"EHLO probe.example") == b"250 OK\r\n"
        assert client.command(b"goodmorning") == b"250 OK\r\n"
        assert client.command(b"STARTTLS") == b"250 OK\r\n"
        assert client.command(b"HELO probe.example") == b"250 mail.lab.example\r\n"


def test_pix_fixup_still_carries_mail(smtp_lab: SmtpLab) -> None:
    client = smtp_client(smtp_lab.endpoint(SmtpInspection.pix_fixup()))
    try:
        assert client.ehlo("probe.example") == (250, b"OK")
        assert not client.has_extn("starttls")
        assert client.sendmail("a@lab.example", ["b@lab.example"], MESSAGE) == {}
    finally:
        client.quit()


def test_esmtp_default_map_masks_banner_starttls_and_chunking(smtp_lab: SmtpLab) -> None:
    with RawClient(smtp_lab.endpoint(SmtpInspection.esmtp_default())) as client:
        assert client.reply() == mask_banner(REAL_GREETING)
        ehlo = client.command(b"EHLO probe.example")
        assert ehlo.startswith(b"250-mail.lab.example\r\n")
        assert b"STARTTLS" not in ehlo
        assert b"CHUNKING" not in ehlo
        assert b"250-XXXXXXXA\r\n" in ehlo
        assert ehlo.endswith(b"250 XXXXXXXA\r\n")
        for visible in (b"PIPELINING", b"SIZE ", b"8BITMIME", b"AUTH PLAIN LOGIN", b"DSN"):
            assert visible in ehlo
        assert client.command(b"STARTTLS") == b'500 Error: command "XXXXXXXX" not recognized\r\n'
        assert client.command(b"goodmorning") == (
            b'500 Error: command "XXXXXXXXXXX" not recognized\r\n'
        )


def test_esmtp_lets_auth_through_with_its_challenge_answers(smtp_lab: SmtpLab) -> None:
    with RawClient(smtp_lab.endpoint(SmtpInspection.esmtp_default())) as client:
        client.reply()
        client.command(b"EHLO probe.example")
        assert client.command(b"AUTH LOGIN").startswith(b"334 ")
        assert client.command(b"dXNlcg==").startswith(b"334 ")
        assert client.command(b"cGFzcw==").startswith(b"535 ")


def test_esmtp_tuned_map_lets_starttls_through(smtp_lab: SmtpLab) -> None:
    port = smtp_lab.endpoint(SmtpInspection.esmtp_tuned())
    with RawClient(port) as raw:
        assert raw.reply() == REAL_GREETING
    client = smtp_client(port)
    try:
        client.ehlo("probe.example")
        assert client.has_extn("starttls")
        assert not client.has_extn("chunking")
        assert client.has_extn("xxxxxxxa")
        assert client.starttls(context=unverified_tls())[0] == 220
        client.ehlo("probe.example")
        assert client.has_extn("chunking"), "inside TLS the ASA can no longer mask"
        assert client.sendmail("a@lab.example", ["b@lab.example"], MESSAGE) == {}
    finally:
        client.quit()


@pytest.mark.parametrize(
    ("inspection", "typed"),
    [
        (SmtpInspection.none(), b"250 mail.lab.example\r\n"),
        (SmtpInspection.pix_fixup(), b"250 OK\r\n"),
        (SmtpInspection.esmtp_default(), b'500 Error: command "XXXXXXXX" not recognized\r\n'),
    ],
    ids=["none", "pix-fixup", "esmtp"],
)
def test_command_typed_one_byte_at_a_time_is_garbled(
    smtp_lab: SmtpLab, inspection: SmtpInspection, typed: bytes
) -> None:
    with RawClient(smtp_lab.endpoint(inspection)) as client:
        client.reply()
        assert client.command(b"HELO lab") == b"250 mail.lab.example\r\n"
        assert client.typed(b"HELO lab") == typed


def test_helo_typed_through_asa_reaches_the_server_as_xxxx(smtp_lab: SmtpLab) -> None:
    with RawClient(smtp_lab.endpoint(SmtpInspection.esmtp_default())) as client:
        client.reply()
        assert client.typed(b"HELO") == b'500 Error: command "XXXX" not recognized\r\n'


def test_configuration_change_applies_to_new_connections(smtp_lab: SmtpLab) -> None:
    live = [SmtpInspection.pix_fixup()]
    port = smtp_lab.endpoint(lambda: live[0])
    with RawClient(port) as before:
        assert before.reply() == mask_banner(REAL_GREETING)
        live[0] = SmtpInspection.none()  # `no fixup protocol smtp 25` on the device
        assert before.command(b"goodmorning") == b"250 OK\r\n"
        with RawClient(port) as after:
            assert after.reply() == REAL_GREETING
            assert after.command(b"goodmorning") == (
                b'500 Error: command "GOODMORNING" not recognized\r\n'
            )


def test_pix_mailhost_answers_everything_itself(smtp_lab: SmtpLab) -> None:
    with RawClient(smtp_lab.endpoint(SmtpInspection.mailhost())) as client:
        assert client.reply() == MAILHOST_GREETING
        assert client.command(b"EHLO probe.example") == b"250 OK\r\n"
        assert client.command(b"goodmorning") == b"250 OK\r\n"
        assert client.command(b"MAIL FROM:<a@lab.example>") == b"250 OK\r\n"
        assert client.command(b"DATA").startswith(b"354 ")
        assert client.command(b"Subject: x\r\n\r\nbody\r\n.") == b"250 OK\r\n"
        assert client.command(b"QUIT") == b"221 Bye\r\n"
        assert client.at_eof()


def test_latency_delays_what_the_client_receives(smtp_lab: SmtpLab) -> None:
    port = smtp_lab.endpoint(SmtpInspection.none(), latency_ms=200)
    started = time.monotonic()
    with RawClient(port) as client:
        assert client.reply() == REAL_GREETING
        assert time.monotonic() - started >= 0.2


def test_many_clients_at_once(smtp_lab: SmtpLab) -> None:
    port = smtp_lab.endpoint(SmtpInspection.esmtp_default())

    def send_one(index: int) -> dict[str, tuple[int, bytes]]:
        client = smtp_client(port)
        try:
            return client.sendmail(f"a{index}@lab.example", ["b@lab.example"], MESSAGE)
        finally:
            client.quit()

    with ThreadPoolExecutor(max_workers=12) as pool:
        assert list(pool.map(send_one, range(24))) == [{}] * 24


def test_closing_the_endpoint_drops_open_connections(smtp_lab: SmtpLab) -> None:
    port = smtp_lab.endpoint(SmtpInspection.esmtp_default())
    with RawClient(port) as client:
        client.reply()
        smtp_lab.run(close_mailguard_proxy(smtp_lab.servers[-1]))
        assert client.at_eof()


def test_stopping_the_backend_drops_relayed_connections(smtp_lab: SmtpLab) -> None:
    with RawClient(smtp_lab.endpoint(SmtpInspection.none())) as client:
        client.reply()
        smtp_lab.run(smtp_lab.backend.stop())
        assert client.at_eof()


def test_unreachable_mail_server_closes_the_client(smtp_lab: SmtpLab) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    with RawClient(smtp_lab.endpoint(SmtpInspection.pix_fixup(), backend_port=dead_port)) as client:
        assert client.at_eof()
