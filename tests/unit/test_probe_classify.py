"""The probe classifier on literal transcripts: real servers, and what Mailguard makes of them."""

from __future__ import annotations

import pytest

from pixfix.probe.classify import (
    Exchange,
    ReplyEnd,
    SignatureName,
    StarttlsOffer,
    Step,
    Verdict,
    classify,
    is_masked_banner,
    is_noop_style,
    reply_code,
    starttls_offer,
)

MASKED = SignatureName.EXTENSIONS_MASKED


def ex(step: Step, sent: str | None, *lines: str, end: ReplyEnd = ReplyEnd.COMPLETE) -> Exchange:
    note = "" if end in (ReplyEnd.COMPLETE, ReplyEnd.QUIET) else f"test {end.value}"
    return Exchange(step=step, sent=sent, code=reply_code(lines), lines=lines, end=end, note=note)


def greeting(*lines: str, end: ReplyEnd = ReplyEnd.COMPLETE) -> Exchange:
    return ex(Step.GREETING, None, *lines, end=end)


def ehlo(*lines: str, end: ReplyEnd = ReplyEnd.COMPLETE) -> Exchange:
    return ex(Step.EHLO, "EHLO [192.0.2.1]", *lines, end=end)


def unknown(*lines: str, end: ReplyEnd = ReplyEnd.COMPLETE) -> Exchange:
    return ex(Step.UNKNOWN_VERB, "GOODMORNING", *lines, end=end)


def noop(*lines: str) -> Exchange:
    return ex(Step.NOOP, "NOOP", *lines)


def starttls(*lines: str) -> Exchange:
    return ex(Step.STARTTLS, "STARTTLS", *lines)


TLS_OK = Exchange(step=Step.TLS, sent=None, code=None, lines=(), end=ReplyEnd.COMPLETE, note="ok")
TLS_FAILED = Exchange(
    step=Step.TLS, sent=None, code=None, lines=(), end=ReplyEnd.FAILED, note="handshake failed"
)
QUIT = ex(Step.QUIT, "QUIT", "221 2.0.0 Bye")

POSTFIX = (
    greeting("220 mail.example.com ESMTP Postfix"),
    ehlo(
        "250-mail.example.com",
        "250-PIPELINING",
        "250-SIZE 10240000",
        "250-STARTTLS",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-DSN",
        "250 CHUNKING",
    ),
    unknown("502 5.5.2 Error: command not recognized"),
    noop("250 2.0.0 Ok"),
    starttls("220 2.0.0 Ready to start TLS"),
    TLS_OK,
    QUIT,
)

EXCHANGE = (
    greeting("220 mail.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024 10:00:00"),
    ehlo(
        "250-mail.contoso.com Hello [192.0.2.1]",
        "250-SIZE 37748736",
        "250-PIPELINING",
        "250-DSN",
        "250-ENHANCEDSTATUSCODES",
        "250-STARTTLS",
        "250-X-ANONYMOUSTLS",
        "250-AUTH NTLM",
        "250-X-EXPS GSSAPI NTLM",
        "250-8BITMIME",
        "250-BINARYMIME",
        "250-CHUNKING",
        "250-XEXCH50",
        "250-XRDST",
        "250 XSHADOWREQUEST",
    ),
    unknown("500 5.3.3 Unrecognized command 'GOODMORNING'"),
    noop("250 2.0.0 OK"),
    starttls("220 2.0.0 SMTP server ready"),
    TLS_OK,
    QUIT,
)

SENDMAIL = (
    greeting("220 mail.example.com ESMTP Sendmail 8.15.2/8.15.2; Mon, 1 Jan 2024 10:00:00 GMT"),
    ehlo(
        "250-mail.example.com Hello probe.example.net [192.0.2.1], pleased to meet you",
        "250-ENHANCEDSTATUSCODES",
        "250-PIPELINING",
        "250-8BITMIME",
        "250-SIZE",
        "250-DSN",
        "250-DELIVERBY",
        "250 HELP",
    ),
    unknown('500 5.5.1 Command unrecognized: "GOODMORNING"'),
    noop("250 2.0.0 OK"),
    QUIT,
)

# PIX 6.3 with `fixup protocol smtp 25` in front of the sendmail above.
PIX_FIXUP = (
    greeting("220 ****************************0*2******0*****"),
    ehlo("250 2.0.0 OK"),
    unknown("250 2.0.0 OK"),
    noop("250 2.0.0 OK"),
    QUIT,
)

# ASA with `inspect esmtp` and the default map in front of the Postfix above.
ASA_DEFAULT = (
    greeting("220 *****************************************"),
    ehlo(
        "250-mail.example.com",
        "250-PIPELINING",
        "250-SIZE 10240000",
        "250-XXXXXXXA",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-DSN",
        "250 XXXXXXXA",
    ),
    unknown('500 5.5.2 Error: command "XXXXXXXXXXX" not recognized'),
    noop("250 2.0.0 Ok"),
    starttls('500 5.5.2 Error: command "XXXXXXXX" not recognized'),
    QUIT,
)

# ASA with a tuned map: `no mask-banner`, `allow-tls`, other keywords still masked.
ASA_TUNED = (
    POSTFIX[0],
    ehlo(
        "250-mail.example.com",
        "250-PIPELINING",
        "250-SIZE 10240000",
        "250-STARTTLS",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-DSN",
        "250 XXXXXXXA",
    ),
    *POSTFIX[2:],
)


def names(transcript: tuple[Exchange, ...]) -> list[SignatureName]:
    return [signature.name for signature in classify(transcript).signatures]


@pytest.mark.parametrize(
    "transcript", [POSTFIX, EXCHANGE, SENDMAIL], ids=["postfix", "exchange", "sendmail"]
)
def test_real_servers_without_firewall_are_clean(transcript: tuple[Exchange, ...]) -> None:
    result = classify(transcript)
    assert result.verdict is Verdict.CLEAN
    assert result.signatures == ()
    assert result.error is None


def test_pix_fixup_is_mailguard_with_evidence() -> None:
    result = classify(PIX_FIXUP)
    assert result.verdict is Verdict.MAILGUARD
    evidence = {s.name: s.evidence for s in result.signatures}
    assert list(evidence) == [
        SignatureName.MASKED_BANNER,
        SignatureName.EHLO_BLOCKED,
        SignatureName.UNKNOWN_COMMAND_OK,
    ]
    assert evidence[SignatureName.MASKED_BANNER] == (
        "220 ****************************0*2******0*****",
    )
    assert evidence[SignatureName.EHLO_BLOCKED][0] == "EHLO [192.0.2.1] -> 250 2.0.0 OK"
    assert "the verb became a NOOP" in evidence[SignatureName.UNKNOWN_COMMAND_OK][1]


def test_asa_default_map_blocks_starttls_and_masks_the_rest() -> None:
    result = classify(ASA_DEFAULT)
    assert result.verdict is Verdict.MAILGUARD
    evidence = {s.name: s.evidence for s in result.signatures}
    assert list(evidence) == [
        SignatureName.MASKED_BANNER,
        SignatureName.STARTTLS_BLOCKED,
        SignatureName.EXTENSIONS_MASKED,
        SignatureName.COMMAND_MASKED,
    ]
    assert evidence[SignatureName.STARTTLS_BLOCKED] == (
        "EHLO reply: 250-XXXXXXXA",
        'STARTTLS -> 500 5.5.2 Error: command "XXXXXXXX" not recognized',
    )
    assert evidence[SignatureName.EXTENSIONS_MASKED] == ("250 XXXXXXXA",)


def test_asa_tuned_map_is_inspected_not_mailguard() -> None:
    result = classify(ASA_TUNED)
    assert result.verdict is Verdict.INSPECTED
    assert names(ASA_TUNED) == [MASKED]


def test_masked_keyword_that_turns_out_to_be_chunking() -> None:
    """No STARTTLS in clear, one `XXXXXXXA`: STARTTLS works, so the masked one was CHUNKING."""
    transcript = (
        POSTFIX[0],
        ehlo("250-mail.example.com", "250-PIPELINING", "250 XXXXXXXA"),
        *POSTFIX[2:],
    )
    assert starttls_offer(transcript[1]) is StarttlsOffer.MASKED
    assert classify(transcript).verdict is Verdict.INSPECTED
    assert names(transcript) == [MASKED]


def test_masked_starttls_never_tried_is_still_blocked() -> None:
    transcript = (
        POSTFIX[0],
        ehlo("250-mail.example.com", "250 XXXXXXXA"),
        unknown("502 5.5.2 Error: command not recognized"),
        noop("250 2.0.0 Ok"),
    )
    assert names(transcript) == [SignatureName.STARTTLS_BLOCKED]
    assert classify(transcript).verdict is Verdict.MAILGUARD


@pytest.mark.parametrize(
    ("reply", "tls"),
    [
        (("454 4.7.0 TLS not available due to local problem",), None),
        (("220 Go ahead",), TLS_FAILED),
    ],
    ids=["refused", "handshake-fails"],
)
def test_starttls_offered_in_clear_but_not_working(
    reply: tuple[str, ...], tls: Exchange | None
) -> None:
    transcript = (*POSTFIX[:4], starttls(*reply), *([tls] if tls else []), QUIT)
    result = classify(transcript)
    assert result.verdict is Verdict.MAILGUARD
    assert names(transcript) == [SignatureName.STARTTLS_BLOCKED]
    evidence = result.signatures[0].evidence
    assert evidence[0] == "EHLO reply: STARTTLS offered"
    assert evidence[1].startswith("STARTTLS -> ")
    if tls is not None:
        assert evidence[2] == "(handshake failed)"


@pytest.mark.parametrize(
    "lines",
    [
        ("220 ****************************0*2******0*****",),
        ("2002*******2***0*00",),
        ("220*************************", "220*****0***", "220 **2*****"),
        ("220\t**** **",),
        ("220 SMTP/cmap_____ read",),
        ("220 SMTP/cmap___ read",),
        ("*******************",),
    ],
    ids=["asa", "pix-no-space", "multiline-dash-masked", "tab", "cmap5", "cmap3", "pix44-all"],
)
def test_masked_greetings(lines: tuple[str, ...]) -> None:
    assert is_masked_banner(lines)
    transcript = (greeting(*lines, end=ReplyEnd.QUIET), *SENDMAIL[1:])
    result = classify(transcript)
    assert result.verdict is Verdict.MAILGUARD
    assert result.signatures[0].name is SignatureName.MASKED_BANNER
    assert result.signatures[0].evidence == lines


@pytest.mark.parametrize(
    "lines",
    [
        ("220 mail.example.com ESMTP Postfix",),
        ("220-mail.example.com ESMTP", "220 ready"),
        ("220 2002",),
        ("220 ",),
    ],
)
def test_ordinary_greetings_are_not_masked(lines: tuple[str, ...]) -> None:
    assert not is_masked_banner(lines)


@pytest.mark.parametrize(
    "answer",
    [
        "250 OK",
        "250 ok",
        "250 2.0.0 Ok",
        "250 2.0.0 OK",
        "250 Requested mail action okay, completed",
        "250",
        "250 Ok.",
        "250 *",
    ],
)
def test_noop_style_ehlo_answers_are_blocked(answer: str) -> None:
    transcript = (SENDMAIL[0], ehlo(answer), *SENDMAIL[2:])
    assert is_noop_style(transcript[1], None)
    assert names(transcript) == [SignatureName.EHLO_BLOCKED]
    assert classify(transcript).verdict is Verdict.MAILGUARD


def test_noop_reply_settles_an_odd_ehlo_answer() -> None:
    """A server whose NOOP says `250 Fine` gets the same text back for a NOOPed EHLO."""
    transcript = (SENDMAIL[0], ehlo("250 Fine"), unknown("250 Fine"), noop("250 Fine"), QUIT)
    assert is_noop_style(transcript[1], transcript[3])
    evidence = classify(transcript).signatures[0].evidence
    assert evidence == ("EHLO [192.0.2.1] -> 250 Fine", "NOOP -> 250 Fine (for comparison)")


@pytest.mark.parametrize(
    "lines",
    [
        ("250 mail.example.com",),
        ("250 mail",),
        ("250 [192.0.2.25]",),
        ("250 mail.example.com Hello [192.0.2.1]",),
        ("250-mail", "250 8BITMIME"),
        ("250-OK", "250 SIZE"),
    ],
)
def test_ehlo_greetings_are_not_noop_style(lines: tuple[str, ...]) -> None:
    assert not is_noop_style(ehlo(*lines), noop("250 OK"))


@pytest.mark.parametrize(
    "exchange",
    [
        ehlo("500 5.5.1 Command unrecognized"),
        ehlo('500 Error: command "XXXXXXXXXXXXXXXX" not recognized'),
        ehlo("421 4.4.2 Timeout", end=ReplyEnd.CLOSED),
        ehlo(end=ReplyEnd.TIMEOUT),
        ehlo(end=ReplyEnd.CLOSED),
        ehlo("220 mail.example.com ESMTP"),
        ehlo("****0*2**", end=ReplyEnd.QUIET),
    ],
    ids=["500", "asa-garbled", "421-closed", "timeout", "closed", "not-250", "no-code"],
)
def test_ehlo_refused_or_unanswered_is_blocked(exchange: Exchange) -> None:
    transcript = (SENDMAIL[0], exchange)
    result = classify(transcript)
    assert result.verdict is Verdict.MAILGUARD
    assert [s.name for s in result.signatures] == [SignatureName.EHLO_BLOCKED]
    assert result.signatures[0].evidence[0].startswith("EHLO [192.0.2.1] -> ")


def test_unknown_verb_accepted_alone_is_mailguard() -> None:
    transcript = (SENDMAIL[0], SENDMAIL[1], unknown("250 OK"), noop("250 2.0.0 OK"), QUIT)
    result = classify(transcript)
    assert result.verdict is Verdict.MAILGUARD
    assert result.signatures[0].evidence == ("GOODMORNING -> 250 OK",)


def test_x_echo_of_the_unknown_verb_means_inspected() -> None:
    transcript = (
        *SENDMAIL[:2],
        unknown('500 5.5.1 Command unrecognized: "XXXXXXXXXXX"'),
        *SENDMAIL[3:],
    )
    assert names(transcript) == [SignatureName.COMMAND_MASKED]
    assert classify(transcript).verdict is Verdict.INSPECTED


@pytest.mark.parametrize(
    ("exchange", "error"),
    [
        (greeting(end=ReplyEnd.TIMEOUT), "no SMTP greeting (test timeout)"),
        (greeting(end=ReplyEnd.CLOSED), "no SMTP greeting (test closed)"),
        (greeting("HTTP/1.0 400 Bad Request", "Server: x", ""), "not an SMTP greeting"),
        (greeting("SSH-2.0-OpenSSH_9.6", end=ReplyEnd.QUIET), "not an SMTP greeting"),
    ],
    ids=["silent", "closed", "http", "ssh"],
)
def test_not_smtp(exchange: Exchange, error: str) -> None:
    result = classify((exchange,))
    assert result.verdict is Verdict.NOT_SMTP
    assert result.error is not None
    assert result.error.startswith(error)


def test_no_transcript_is_not_smtp() -> None:
    assert classify(()).verdict is Verdict.NOT_SMTP


def test_service_refused_at_greeting_is_unreachable() -> None:
    transcript = (greeting("554 5.7.1 mail.example.com no service for you"), QUIT)
    result = classify(transcript)
    assert result.verdict is Verdict.UNREACHABLE
    assert result.error == "service refused: 554 5.7.1 mail.example.com no service for you"


@pytest.mark.parametrize(
    ("transcript", "error"),
    [
        (SENDMAIL[:1], "session ended before the ehlo step"),
        (SENDMAIL[:2], "session ended before the unknown-verb step"),
        ((*SENDMAIL[:2], unknown(end=ReplyEnd.CLOSED)), "GOODMORNING -> (test closed)"),
        (ASA_TUNED[:4], "session ended before the starttls step"),
    ],
)
def test_sessions_cut_short_are_never_clean(transcript: tuple[Exchange, ...], error: str) -> None:
    result = classify(transcript)
    assert result.verdict is Verdict.UNREACHABLE
    assert result.error == error


def test_cut_short_keeps_the_inspection_signatures_it_saw() -> None:
    transcript = (*ASA_TUNED[:2], unknown(end=ReplyEnd.TIMEOUT))
    result = classify(transcript)
    assert result.verdict is Verdict.UNREACHABLE
    assert [s.name for s in result.signatures] == [MASKED]


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (("250 OK",), 250),
        (("250-a", "250 b"), 250),
        (("220",), 220),
        (("2002***",), None),
        ((), None),
    ],
)
def test_reply_code(lines: tuple[str, ...], code: int | None) -> None:
    assert reply_code(lines) == code


def test_show_summarises_an_exchange() -> None:
    assert (
        EXCHANGE[1].show()
        == "EHLO [192.0.2.1] -> 250-mail.contoso.com Hello [192.0.2.1] (+14 lines)"
    )
    assert greeting("220 x").show() == "220 x"
    assert ehlo("250-x", end=ReplyEnd.CLOSED).show() == "EHLO [192.0.2.1] -> 250-x (test closed)"
    assert ehlo(end=ReplyEnd.TIMEOUT).show() == "EHLO [192.0.2.1] -> (test timeout)"
