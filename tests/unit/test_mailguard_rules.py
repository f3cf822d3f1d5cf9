"""The pure Mailguard rules of the lab, from literal SMTP text."""

import dataclasses
import doctest

import pytest

from pixfix.lab import mailguard
from pixfix.lab.mailguard import (
    MAILHOST_GREETING,
    ClientLine,
    CommandAssembler,
    InspectionKind,
    MailguardSession,
    MailhostSession,
    SmtpInspection,
    command_verb,
    mask_banner,
    mask_ehlo_reply,
    mask_keyword,
    rewrite_command,
    x_out_verb,
)
from pixfix.lab.smtp import lab_ehlo_lines

GREETING = b"220 mail.lab.example ESMTP Postfix (pixfix lab)\r\n"
EHLO_REPLY = (
    b"250-mail.lab.example\r\n"
    b"250-PIPELINING\r\n"
    b"250-SIZE 33554432\r\n"
    b"250-VRFY\r\n"
    b"250-STARTTLS\r\n"
    b"250-AUTH PLAIN LOGIN\r\n"
    b"250-ENHANCEDSTATUSCODES\r\n"
    b"250-8BITMIME\r\n"
    b"250-DSN\r\n"
    b"250 CHUNKING\r\n"
)
DEFAULT = SmtpInspection.esmtp_default()
TUNED = SmtpInspection.esmtp_tuned()
PIX = SmtpInspection.pix_fixup()
NONE = SmtpInspection.none()


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(mailguard).failed == 0


def test_constructors_name_the_device_settings() -> None:
    assert NONE.kind is InspectionKind.NONE
    assert PIX.kind is InspectionKind.PIX_FIXUP
    assert SmtpInspection.mailhost().kind is InspectionKind.PIX_MAILHOST
    assert (DEFAULT.mask_banner, DEFAULT.allow_tls, DEFAULT.mask_others) == (True, False, True)
    assert (TUNED.mask_banner, TUNED.allow_tls, TUNED.mask_others) == (False, True, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT.allow_tls = True  # type: ignore[misc]


def test_lab_ehlo_reply_is_the_literal_used_here() -> None:
    lines = lab_ehlo_lines("mail.lab.example", size=33554432, tls_active=False)
    assert "\r\n".join(lines).encode() + b"\r\n" == EHLO_REPLY
    assert "250-STARTTLS" not in lab_ehlo_lines("h", size=1, tls_active=True)


def test_banner_keeps_only_2_0_line_ends_and_the_space_after_the_code() -> None:
    masked = mask_banner(GREETING)
    assert masked == b"220 " + b"*" * 43 + b"\r\n"
    assert len(masked) == len(GREETING)
    assert mask_banner(b"220 mx2.example.com 2000\r\n") == b"220 **2*************2000\r\n"


def test_multiline_greeting_loses_its_dashes() -> None:
    masked = mask_banner(b"220-mail.example\r\n220 ready\r\n")
    assert masked == b"220*************\r\n220 *****\r\n"


@pytest.mark.parametrize(
    ("inspection", "line", "forwarded"),
    [
        (PIX, b"HELO client\r\n", b"HELO client\r\n"),
        (PIX, b"mail FROM:<a@b>\r\n", b"mail FROM:<a@b>\r\n"),
        (PIX, b"EHLO client\r\n", b"NOOP\r\n"),
        (PIX, b"STARTTLS\r\n", b"NOOP\r\n"),
        (PIX, b"AUTH PLAIN AGFhAGI=\r\n", b"NOOP\r\n"),
        (PIX, b"goodmorning\r\n", b"NOOP\r\n"),
        (DEFAULT, b"EHLO client\r\n", b"EHLO client\r\n"),
        (DEFAULT, b"AUTH LOGIN\r\n", b"AUTH LOGIN\r\n"),
        (DEFAULT, b"STARTTLS\r\n", b"XXXXXXXX\r\n"),
        (DEFAULT, b"goodmorning\r\n", b"XXXXXXXXXXX\r\n"),
        (DEFAULT, b"BDAT 10 LAST\r\n", b"XXXX 10 LAST\r\n"),
        (TUNED, b"starttls\r\n", b"starttls\r\n"),
        (TUNED, b"BDAT 10 LAST\r\n", b"XXXX 10 LAST\r\n"),
        (NONE, b"goodmorning\r\n", b"goodmorning\r\n"),
    ],
)
def test_rewrite_command(inspection: SmtpInspection, line: bytes, forwarded: bytes) -> None:
    assert rewrite_command(line, inspection) == forwarded


@pytest.mark.parametrize(
    ("inspection", "forwarded"),
    [(DEFAULT, b"XXXXXXXX\r\n"), (PIX, b"NOOP\r\n"), (NONE, b"HELO lab\r\n")],
)
def test_garbled_command_is_treated_as_disallowed(
    inspection: SmtpInspection, forwarded: bytes
) -> None:
    assert rewrite_command(b"HELO lab\r\n", inspection, garbled=True) == forwarded


def test_mailhost_never_forwards_commands() -> None:
    with pytest.raises(ValueError, match="mailhost"):
        rewrite_command(b"HELO x\r\n", SmtpInspection.mailhost())


def test_command_verb_and_x_out() -> None:
    assert command_verb(b"ehlo client\r\n") == "EHLO"
    assert command_verb(b"\r\n") == ""
    assert command_verb(b"\xff\xfe x\r\n") == ""
    assert x_out_verb(b"QUIT\r\n") == b"XXXX\r\n"
    assert mask_keyword(b"STARTTLS") == b"XXXXXXXA"
    assert mask_keyword(b"") == b""


def test_default_map_masks_starttls_and_chunking_only() -> None:
    masked = mask_ehlo_reply(EHLO_REPLY, DEFAULT)
    expected = EHLO_REPLY.replace(b"250-STARTTLS", b"250-XXXXXXXA").replace(
        b"250 CHUNKING", b"250 XXXXXXXA"
    )
    assert masked == expected


def test_tuned_map_shows_starttls_but_still_masks_chunking() -> None:
    masked = mask_ehlo_reply(EHLO_REPLY, TUNED)
    assert masked == EHLO_REPLY.replace(b"250 CHUNKING", b"250 XXXXXXXA")


def test_others_unmasked_leaves_only_starttls_masked() -> None:
    inspection = SmtpInspection(kind=InspectionKind.ESMTP, mask_others=False)
    masked = mask_ehlo_reply(EHLO_REPLY, inspection)
    assert masked == EHLO_REPLY.replace(b"250-STARTTLS", b"250-XXXXXXXA")


def test_masked_parameter_text_is_replaced_whole() -> None:
    reply = b"250-mx\r\n250-X-LINK2STATE\r\n250 SIZE 10\r\n"
    assert mask_ehlo_reply(reply, DEFAULT) == b"250-mx\r\n250-XXXXXXXXXXXA\r\n250 SIZE 10\r\n"
    assert mask_ehlo_reply(reply, PIX) == reply


def test_assembler_marks_lines_split_over_reads() -> None:
    assembler = CommandAssembler()
    assert assembler.feed(b"HELO a\r\nMAIL FROM:<>\r\nRC") == [
        ClientLine(data=b"HELO a\r\n", garbled=False),
        ClientLine(data=b"MAIL FROM:<>\r\n", garbled=False),
    ]
    assert assembler.feed(b"PT TO:<b>\r\n") == [ClientLine(data=b"RCPT TO:<b>\r\n", garbled=True)]
    for byte in b"HELO":
        assert assembler.feed(bytes([byte])) == []
    assert assembler.feed(b"\r\n") == [ClientLine(data=b"HELO\r\n", garbled=True)]
    assembler.feed(b"QU")
    assert assembler.drain() == b"QU"
    assert assembler.drain() == b""


def test_esmtp_session_transcript() -> None:
    session = MailguardSession(DEFAULT)
    assert session.server_data(GREETING) == mask_banner(GREETING)
    assert session.client_data(b"EHLO probe\r\n") == b"EHLO probe\r\n"
    half = len(EHLO_REPLY) // 2
    assert session.server_data(EHLO_REPLY[:half]) == b""
    assert session.server_data(EHLO_REPLY[half:]) == mask_ehlo_reply(EHLO_REPLY, DEFAULT)
    assert session.client_data(b"STARTTLS\r\n") == b"XXXXXXXX\r\n"
    reply = b'500 Error: command "XXXXXXXX" not recognized\r\n'
    assert session.server_data(reply) == reply
    assert not session.transparent


def test_message_body_is_not_inspected() -> None:
    session = MailguardSession(DEFAULT)
    session.server_data(GREETING)
    session.client_data(b"DATA\r\n")
    session.server_data(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    assert session.in_data
    body = b"Subject: hi\r\n\r\ngoodmorning\r\nEHLO x\r\n.\r\n"
    assert session.client_data(body) == body
    assert not session.in_data
    assert session.server_data(b"250 OK\r\n") == b"250 OK\r\n"
    assert session.client_data(b"goodmorning\r\n") == b"XXXXXXXXXXX\r\n"


def test_refused_data_stays_in_command_mode() -> None:
    session = MailguardSession(DEFAULT)
    session.server_data(GREETING)
    session.client_data(b"DATA\r\n")
    session.server_data(b"503 Error: need RCPT command\r\n")
    assert not session.in_data
    assert session.client_data(b"goodmorning\r\n") == b"XXXXXXXXXXX\r\n"


def test_allowed_starttls_turns_the_session_transparent() -> None:
    session = MailguardSession(TUNED)
    assert session.server_data(GREETING) == GREETING
    assert session.client_data(b"STARTTLS\r\n") == b"STARTTLS\r\n"
    assert session.server_data(b"220 Ready to start TLS\r\n\x16\x03\x01") == (
        b"220 Ready to start TLS\r\n\x16\x03\x01"
    )
    assert session.transparent
    assert session.client_data(b"\x16\x03\x01 no line end") == b"\x16\x03\x01 no line end"
    assert session.server_data(b"250-XX\r\n250 CHUNKING\r\n") == b"250-XX\r\n250 CHUNKING\r\n"


def test_pix_fixup_session_noops_ehlo_and_starttls() -> None:
    session = MailguardSession(PIX)
    assert session.server_data(GREETING) == mask_banner(GREETING)
    assert session.client_data(b"EHLO probe\r\n") == b"NOOP\r\n"
    assert session.server_data(b"250 OK\r\n") == b"250 OK\r\n"
    assert session.client_data(b"STARTTLS\r\n") == b"NOOP\r\n"
    assert session.server_data(b"250 OK\r\n") == b"250 OK\r\n"
    assert not session.transparent


def test_no_inspection_is_transparent_from_the_start() -> None:
    session = MailguardSession(NONE)
    assert session.transparent
    assert session.server_data(GREETING) == GREETING
    for byte in b"goodmorning\r\n":
        assert session.client_data(bytes([byte])) == bytes([byte])


def test_mailguard_session_refuses_mailhost() -> None:
    with pytest.raises(ValueError, match="MailhostSession"):
        MailguardSession(SmtpInspection.mailhost())


def test_mailhost_session_transcript() -> None:
    session = MailhostSession()
    assert session.greeting == MAILHOST_GREETING == b"220 SMTP/cmap_____ read\r\n"
    answer = session.client_data(b"EHLO probe\r\ngoodmorning\r\nMAIL FROM:<a@b>\r\n")
    assert answer.data == b"250 OK\r\n" * 3
    assert not answer.close
    assert session.client_data(b"DATA\r\n").data.startswith(b"354 ")
    assert session.client_data(b"QUIT\r\nbody\r\n").data == b""
    assert session.client_data(b".\r\n").data == b"250 OK\r\n"
    answer = session.client_data(b"QUIT\r\nNOOP\r\n")
    assert (answer.data, answer.close) == (b"221 Bye\r\n", True)


def test_auth_challenge_answer_is_not_taken_for_a_command() -> None:
    session = MailguardSession(DEFAULT)
    session.server_data(GREETING)
    assert session.client_data(b"AUTH LOGIN\r\n") == b"AUTH LOGIN\r\n"
    session.server_data(b"334 VXNlciBOYW1lAA==\r\n")
    assert session.client_data(b"dXNlcg==\r\n") == b"dXNlcg==\r\n"
    session.server_data(b"535 5.7.8 Authentication credentials invalid\r\n")
    assert session.client_data(b"dXNlcg==\r\n") == b"XXXXXXXX\r\n"
