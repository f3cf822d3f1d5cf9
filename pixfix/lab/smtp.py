"""SMTP endpoints of the lab: one real mail server, and a Mailguard proxy in front of it per device.

`SmtpBackend` is a real ESMTP server (aiosmtpd) that greets like Postfix, advertises the
extensions Mailguard fights over (STARTTLS works for real, CHUNKING is only advertised) and
discards every message. `start_mailguard_proxy` opens a device's SMTP endpoint: each connection
asks the device for its live inspection (`inspection()`), then either relays through a
`MailguardSession` (no inspection, PIX fixup, ASA ESMTP) or, for PIX 4 `mailhost`, answers itself.
The rules live in `pixfix.lab.mailguard`; this module only moves bytes.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import ssl
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pixfix.errors import LabError
from pixfix.lab.mailguard import InspectionKind, MailguardSession, MailhostSession, SmtpInspection

log = logging.getLogger(__name__)

LAB_MAIL_HOSTNAME = "mail.lab.example"
LAB_MAIL_IDENT = "ESMTP Postfix (pixfix lab)"
_CHUNK = 65536
_HALF_CLOSE_GRACE = 5.0
_STOP_GRACE = 5.0


def lab_ehlo_lines(hostname: str, *, size: int, tls_active: bool) -> list[str]:
    """The lab server's EHLO reply, ordered like Postfix's; STARTTLS is gone once TLS is up."""
    keywords = [hostname, "PIPELINING", f"SIZE {size}", "VRFY"]
    if not tls_active:
        keywords.append("STARTTLS")
    keywords += ["AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "CHUNKING"]
    return [f"250-{keyword}" for keyword in keywords[:-1]] + [f"250 {keywords[-1]}"]


def self_signed_tls_context(hostname: str) -> ssl.SSLContext:
    """A server TLS context with a throw-away self-signed certificate, made at start-up.

    The key only touches a temporary directory removed before returning, so no key file ever
    lands in the tree. Clients of the lab must not verify it (as probes of real MXes often do).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="pixfix-lab-tls-") as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key_pem)
        context.load_cert_chain(cert_path, key_path)
    return context


class _DiscardingHandler:
    """aiosmtpd handler: a Postfix-like EHLO reply, and every message accepted then dropped."""

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        size = server.data_size_limit or 0
        return lab_ehlo_lines(server.hostname, size=size, tls_active=session.ssl is not None)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        log.debug("lab mail server discards a message for %d recipient(s)", len(envelope.rcpt_tos))
        return "250 2.0.0 Ok: queued as LAB (discarded)"


class _LabSmtp(SMTP):
    """An aiosmtpd connection that registers itself, so `SmtpBackend.stop` can drop it."""

    def __init__(self, live: set[_LabSmtp], tls: ssl.SSLContext) -> None:
        super().__init__(
            _DiscardingHandler(),
            hostname=LAB_MAIL_HOSTNAME,
            ident=LAB_MAIL_IDENT,
            tls_context=tls,
            auth_require_tls=False,
            loop=asyncio.get_running_loop(),
        )
        self._lab_live = live
        self._lab_tcp: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._lab_tcp is None:  # STARTTLS calls this again with the TLS transport
            self._lab_tcp = transport
            self._lab_live.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._lab_live.discard(self)
        super().connection_lost(error)

    async def check_helo_needed(self, helo: str = "HELO") -> bool:
        """Never: like Postfix's default (`smtpd_helo_required = no`), MAIL may come first.

        Clients behind a PIX fixup rely on it: their EHLO became a NOOP, then they send MAIL.
        """
        return False

    def lab_abort(self) -> None:
        """Drop the TCP connection at once (under TLS too)."""
        if isinstance(self._lab_tcp, asyncio.Transport):
            self._lab_tcp.abort()


class SmtpBackend:
    """The lab's one real mail server, shared by every device's SMTP endpoint.

    Listens on `host` and an ephemeral port (`port` once started).
    """

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None
        self._live: set[_LabSmtp] = set()

    async def start(self) -> None:
        """Start listening; raises LabError if already started or the socket cannot be bound."""
        if self._server is not None:
            raise LabError("the lab SMTP server is already running")
        tls = self_signed_tls_context(LAB_MAIL_HOSTNAME)
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(lambda: _LabSmtp(self._live, tls), self.host, 0)
        except OSError as exc:
            raise LabError(f"cannot start the lab SMTP server on {self.host}: {exc}") from exc
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("lab SMTP server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and drop every open session; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for session in list(self._live):
            session.lab_abort()
        await _wait_for(lambda: not self._live, _STOP_GRACE)
        await server.wait_closed()  # after the drop: on Python 3.12+ it waits for open sessions
        log.info("lab SMTP server on %s:%d stopped", self.host, self.port)


async def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    """Let the loop run until `condition()` holds (or `timeout`), then let cancellations land."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.01)
    for _ in range(3):
        await asyncio.sleep(0)


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    if data:
        writer.write(data)
        await writer.drain()


class _MailguardProxy:
    """The firewall between the outside and the lab mail server, for one device's endpoint."""

    def __init__(
        self,
        *,
        backend: tuple[str, int],
        inspection: Callable[[], SmtpInspection],
        latency: float,
    ) -> None:
        self._backend = backend
        self._inspection = inspection
        self._latency = latency
        self._tasks: set[asyncio.Task[Any]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection, inspected as the device's configuration says right now."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        peer = writer.get_extra_info("peername")
        try:
            snapshot = self._inspection()
            log.debug("SMTP connection from %s under %s", peer, snapshot.kind.value)
            if snapshot.kind is InspectionKind.PIX_MAILHOST:
                await self._answer_locally(reader, writer)
            else:
                await self._relay(reader, writer, MailguardSession(snapshot))
        except OSError as exc:
            log.debug("SMTP connection from %s ended: %s", peer, exc)
        except asyncio.CancelledError:
            # Ending as "cancelled" would make asyncio's start_server callback raise (3.11).
            log.debug("SMTP connection from %s dropped by the lab", peer)
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def abort_all(self) -> None:
        """Cancel every connection still open through this proxy and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _to_client(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        """Send to the client after the device's emulated latency."""
        if data and self._latency:
            await asyncio.sleep(self._latency)
        await _send(writer, data)

    async def _answer_locally(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """PIX 4 mailhost: the firewall speaks SMTP itself and never opens the server side."""
        session = MailhostSession()
        await self._to_client(writer, session.greeting)
        while chunk := await reader.read(_CHUNK):
            answer = session.client_data(chunk)
            await self._to_client(writer, answer.data)
            if answer.close:
                return

    async def _relay(
        self,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        session: MailguardSession,
    ) -> None:
        """Relay both ways; end when the server closes, or shortly after the client does."""
        server_r, server_w = await asyncio.open_connection(*self._backend)
        upstream = asyncio.create_task(self._pump_up(client_r, server_w, session))
        downstream = asyncio.create_task(self._pump_down(server_r, client_w, session))
        try:
            done, _ = await asyncio.wait(
                {upstream, downstream}, return_when=asyncio.FIRST_COMPLETED
            )
            if downstream not in done:
                await asyncio.wait({downstream}, timeout=_HALF_CLOSE_GRACE)
        finally:
            server_w.close()
            upstream.cancel()
            downstream.cancel()
            results = await asyncio.gather(upstream, downstream, return_exceptions=True)
        for result in results:
            if isinstance(result, OSError):
                log.debug("SMTP relay ended: %s", result)

    async def _pump_up(
        self,
        client_r: asyncio.StreamReader,
        server_w: asyncio.StreamWriter,
        session: MailguardSession,
    ) -> None:
        """Client to server, one read at a time (read boundaries matter to the garbling rule)."""
        while chunk := await client_r.read(_CHUNK):
            await _send(server_w, session.client_data(chunk))
        await _send(server_w, session.client_eof())
        if server_w.can_write_eof():
            server_w.write_eof()

    async def _pump_down(
        self,
        server_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        session: MailguardSession,
    ) -> None:
        """Server to client: whole replies, rewritten by the session, delayed by the latency."""
        while chunk := await server_r.read(_CHUNK):
            await self._to_client(client_w, session.server_data(chunk))


_PROXIES: weakref.WeakKeyDictionary[asyncio.Server, _MailguardProxy] = weakref.WeakKeyDictionary()


async def start_mailguard_proxy(
    *,
    host: str,
    port: int,
    backend_port: int,
    inspection: Callable[[], SmtpInspection],
    latency_ms: int = 0,
    backend_host: str = "127.0.0.1",
) -> asyncio.Server:
    """Open a device's SMTP endpoint on `host:port` (0 for an ephemeral port).

    `inspection()` is read once per new connection: like a real firewall, a configuration change
    applies to connections opened after it. `server.close()` stops accepting but, as on a device,
    leaves established connections up; `close_mailguard_proxy` also drops them.
    """
    proxy = _MailguardProxy(
        backend=(backend_host, backend_port), inspection=inspection, latency=latency_ms / 1000
    )
    try:
        server = await asyncio.start_server(proxy.handle, host, port)
    except OSError as exc:
        raise LabError(f"cannot open an SMTP endpoint on {host}:{port}: {exc}") from exc
    _PROXIES[server] = proxy
    return server


async def close_mailguard_proxy(server: asyncio.Server) -> None:
    """Close an endpoint from `start_mailguard_proxy` and every connection still open through it."""
    server.close()
    proxy = _PROXIES.pop(server, None)
    if proxy is not None:
        await proxy.abort_all()
    await server.wait_closed()  # after the drop: on Python 3.12+ it waits for open connections
