"""Targets on the command line: `HOST[:PORT]`, IPv6 in brackets, port 25 by default."""

from __future__ import annotations

import pytest

from pixfix.errors import InputError
from pixfix.probe.target import Target, parse_target


@pytest.mark.parametrize(
    ("text", "host", "port", "address"),
    [
        ("mx.example.com", "mx.example.com", 25, "mx.example.com:25"),
        ("mx.example.com:2525", "mx.example.com", 2525, "mx.example.com:2525"),
        (" mail ", "mail", 25, "mail:25"),
        ("mx.example.com.:25", "mx.example.com.", 25, "mx.example.com.:25"),
        ("192.0.2.25", "192.0.2.25", 25, "192.0.2.25:25"),
        ("192.0.2.25:587", "192.0.2.25", 587, "192.0.2.25:587"),
        ("[2001:db8::25]:25", "2001:db8::25", 25, "[2001:db8::25]:25"),
        ("[2001:db8::25]:2525", "2001:db8::25", 2525, "[2001:db8::25]:2525"),
        ("[2001:db8::25]", "2001:db8::25", 25, "[2001:db8::25]:25"),
        ("2001:db8::25", "2001:db8::25", 25, "[2001:db8::25]:25"),
        ("[192.0.2.25]:25", "192.0.2.25", 25, "192.0.2.25:25"),
    ],
)
def test_parse_target(text: str, host: str, port: int, address: str) -> None:
    target = parse_target(text)
    assert target == Target(host=host, port=port)
    assert target.address == address
    assert target.label == address


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty target"),
        ("   ", "empty target"),
        ("mx:0", "port must be a number from 1 to 65535"),
        ("mx:65536", "port must be a number from 1 to 65535"),
        ("mx:smtp", "port must be a number from 1 to 65535"),
        ("mx:2\u00b2", "port must be a number from 1 to 65535"),
        ("mx:", "port must be a number from 1 to 65535"),
        ("[2001:db8::25", "expected [ADDRESS]:PORT"),
        ("[2001:db8::25]25", "expected [ADDRESS]:PORT"),
        ("[mx.example.com]:25", "not an IP address"),
        ("2001:db8::25:x", "put IPv6 addresses with a port in brackets"),
        ("mx example.com", "is not a host name or address"),
        ("user@mx.example.com", "is not a host name or address"),
        ("http://mx", "port must be a number"),
    ],
)
def test_bad_targets_are_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=r"bad target|empty target") as caught:
        parse_target(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_label_names_the_inventory_host() -> None:
    target = Target(host="2001:db8::25", port=25, name="fw1")
    assert target.label == "fw1 ([2001:db8::25]:25)"
