"""The hand-made SMTP reply reader, over a local socket pair (no network, bounded timeouts)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from pixfix.probe.classify import ReplyEnd
from pixfix.probe.smtp import MAX_REPLY_BYTES, ReplyReader

QUIET = 0.3


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    theirs.settimeout(5)
    try:
        yield ours, theirs
    finally:
        ours.close()
        theirs.close()


def dribble(sock: socket.socket, data: bytes, *, delay: float) -> threading.Thread:
    """Send `data` one byte per write from another thread, like a very slow server."""

    def run() -> None:
        for index in range(len(data)):
            sock.sendall(data[index : index + 1])
            time.sleep(delay)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_multiline_reply_ends_at_its_final_line_without_waiting(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    theirs.sendall(b"250-mail.example.com\r\n250-SIZE 1000\r\n250 HELP\r\n")
    started = time.monotonic()
    lines, end, note = ReplyReader(ours, quiet=5).read(5)
    assert time.monotonic() - started < 1
    assert lines == ("250-mail.example.com", "250-SIZE 1000", "250 HELP")
    assert (end, note) == (ReplyEnd.COMPLETE, "")


def test_masked_multiline_greeting_with_lost_dashes_reads_whole(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    theirs.sendall(b"220*****************\r\n220***0**\r\n220 ****2***\r\n")
    lines, end, _ = ReplyReader(ours, quiet=QUIET).read(5)
    assert lines == ("220*****************", "220***0**", "220 ****2***")
    assert end is ReplyEnd.COMPLETE


def test_masked_greeting_without_a_final_line_ends_after_the_quiet_interval(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    theirs.sendall(b"2002*******2***0*00\r\n")
    started = time.monotonic()
    lines, end, _ = ReplyReader(ours, quiet=QUIET).read(5)
    assert QUIET <= time.monotonic() - started < 3
    assert lines == ("2002*******2***0*00",)
    assert end is ReplyEnd.QUIET


def test_one_byte_at_a_time_reads_whole(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    reply = b"250-mail.example.com Hello\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
    thread = dribble(theirs, reply, delay=0.005)
    lines, end, _ = ReplyReader(ours, quiet=QUIET).read(10)
    thread.join(5)
    assert lines == ("250-mail.example.com Hello", "250-8BITMIME", "250 STARTTLS")
    assert end is ReplyEnd.COMPLETE


def test_masked_lines_one_byte_at_a_time_read_whole(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Silence only counts at a line boundary: a slow partial line is never cut."""
    ours, theirs = pair
    thread = dribble(theirs, b"220*****\r\n220 **0**\r\n", delay=0.02)
    lines, end, _ = ReplyReader(ours, quiet=QUIET).read(10)
    thread.join(5)
    assert lines == ("220*****", "220 **0**")
    assert end is ReplyEnd.COMPLETE


def test_a_pause_after_a_continuation_line_is_waited_out(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Postscreen sends `220-` and pauses: a proper continuation is not ended by silence."""
    ours, theirs = pair
    theirs.sendall(b"220-mail.example.com ESMTP\r\n")
    timer = threading.Timer(QUIET * 2, theirs.sendall, args=(b"220 mail.example.com ready\r\n",))
    timer.start()
    try:
        lines, end, _ = ReplyReader(ours, quiet=QUIET).read(5)
    finally:
        timer.join(5)
    assert lines == ("220-mail.example.com ESMTP", "220 mail.example.com ready")
    assert end is ReplyEnd.COMPLETE


def test_two_replies_in_one_chunk_are_read_one_at_a_time(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    theirs.sendall(b"250 OK\r\n221 Bye\r\n")
    reader = ReplyReader(ours, quiet=QUIET)
    assert reader.read(5)[0] == ("250 OK",)
    assert reader.has_pending()
    assert reader.read(5)[0] == ("221 Bye",)
    assert not reader.has_pending()


def test_silence_is_a_timeout(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _ = pair
    started = time.monotonic()
    lines, end, note = ReplyReader(ours, quiet=QUIET).read(0.5)
    assert time.monotonic() - started < 3
    assert (lines, end, note) == ((), ReplyEnd.TIMEOUT, "no data within 0.5s")


def test_partial_line_then_timeout_keeps_the_partial_line(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    theirs.sendall(b"220 no newline")
    lines, end, note = ReplyReader(ours, quiet=0.1).read(0.5)
    assert (lines, end, note) == (("220 no newline",), ReplyEnd.TIMEOUT, "no more data within 0.5s")


def test_close_mid_reply_keeps_what_arrived(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    theirs.sendall(b"250-mail.example.com\r\n250-SIZ")
    theirs.close()
    lines, end, note = ReplyReader(ours, quiet=QUIET).read(5)
    assert lines == ("250-mail.example.com", "250-SIZ")
    assert (end, note) == (ReplyEnd.CLOSED, "connection closed by the server")


def test_endless_reply_is_cut(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    thread = threading.Thread(
        target=theirs.sendall, args=(b"250-x\r\n" * (MAX_REPLY_BYTES // 6),), daemon=True
    )
    thread.start()
    lines, end, _ = ReplyReader(ours, quiet=QUIET).read(5)
    assert end is ReplyEnd.TOO_LONG
    assert len(lines) > 1000
    ours.close()  # unblock the writer if it still waits
    thread.join(5)


def test_undecodable_bytes_are_kept_visible(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    theirs.sendall(b"220 caf\xe9\r\n")
    lines, _, _ = ReplyReader(ours, quiet=QUIET).read(5)
    assert lines == ("220 caf\\xe9",)
