"""Inventory loading, precedence, credentials, error messages and --limit selection."""

from __future__ import annotations

import doctest
import inspect
import json
import textwrap
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

import pixfix.inventory.credentials
import pixfix.inventory.load
import pixfix.inventory.schema
import pixfix.inventory.select
from pixfix.errors import InputError, InventoryError
from pixfix.inventory.load import (
    ChangeWindow,
    Endpoint,
    Host,
    Transport,
    format_duration,
    load_inventory,
    parse_endpoint,
)
from pixfix.inventory.select import describe_hosts, parse_limit, select_hosts
from pixfix.model import Platform
from pixfix.secret import Secret

FIXTURES = Path(__file__).parents[1] / "fixtures" / "inventories"
REPO = Path(__file__).parents[2]
ENV = {"PIXFIX_USERNAME": "env-user", "PIXFIX_PASSWORD": "env-pw-5e1f"}


def write(tmp_path: Path, text: str, name: str = "inv.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def host(hosts: tuple[Host, ...], name: str) -> Host:
    return next(h for h in hosts if h.name == name)


# ---- precedence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "attr", "expected"),
    [
        ("both", "port", 2203),  # later group beats earlier group
        ("both", "platform", Platform.ASA),  # group beats defaults
        ("both", "managed_by", "from-first"),
        ("both", "tags", ("from-defaults",)),  # nobody else sets it: defaults
        ("reversed", "port", 2202),  # order of the host's groups list decides
        ("own", "port", 2299),  # host beats every group
        ("own", "tags", ("from-host",)),  # replaced, not merged
        ("plain", "port", 2201),
        ("plain", "platform", Platform.PIX),
        ("plain", "groups", ()),
    ],
)
def test_precedence_host_then_later_group_then_earlier_group_then_defaults(
    name: str, attr: str, expected: object
) -> None:
    inv = load_inventory(FIXTURES / "precedence.yaml", environ={**ENV, "SECOND_PW": "pw-2nd"})
    assert getattr(host(inv.hosts, name), attr) == expected


@pytest.mark.parametrize(
    ("name", "password", "source"),
    [
        ("both", "pw-2nd", "env SECOND_PW"),  # group's password_env beats defaults' password
        ("own", "own-inline-pw", "inline"),  # host's password beats the group's password_env
        ("plain", "defaults-inline-pw", "inline"),
    ],
)
def test_a_credential_and_its_env_twin_are_one_setting(
    name: str, password: str, source: str
) -> None:
    inv = load_inventory(FIXTURES / "precedence.yaml", environ={**ENV, "SECOND_PW": "pw-2nd"})
    resolved = host(inv.hosts, name)
    assert resolved.password.reveal() == password
    assert str(resolved.source.password) == source


# ---- defaults and credentials -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "transport", "port"),
    [
        ("{host: 192.0.2.1}", Transport.SSH, 22),
        ("{host: 192.0.2.1, transport: telnet}", Transport.TELNET, 23),
        ("{host: 192.0.2.1, transport: telnet, port: 2323}", Transport.TELNET, 2323),
    ],
)
def test_transport_and_port_defaults(
    tmp_path: Path, settings: str, transport: Transport, port: int
) -> None:
    inv = load_inventory(write(tmp_path, f"hosts:\n  fw1: {settings}\n"), environ=ENV)
    assert (inv.hosts[0].transport, inv.hosts[0].port) == (transport, port)


def test_credentials_fall_back_to_pixfix_variables_and_secret_may_be_absent(
    tmp_path: Path,
) -> None:
    inv = load_inventory(write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1}\n"), environ=ENV)
    fw1 = inv.hosts[0]
    assert (fw1.username, fw1.password, fw1.secret) == (
        "env-user",
        Secret("env-pw-5e1f"),
        Secret(""),
    )
    assert not fw1.secret
    assert fw1.source.inline_fields() == ()
    assert describe_hosts(inv)[0]["credentials"] == {
        "username": "env PIXFIX_USERNAME",
        "password": "env PIXFIX_PASSWORD",
        "secret": "none",
    }


def test_named_env_variables_are_read_from_environ(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        defaults: {username_env: U, password_env: P, secret_env: S}
        hosts:
          fw1: {host: 192.0.2.1}
        """,
    )
    fw1 = load_inventory(path, environ={"U": "ops", "P": "pw-9a", "S": "en-3c"}).hosts[0]
    assert (fw1.username, fw1.password.reveal(), fw1.secret.reveal()) == ("ops", "pw-9a", "en-3c")
    assert str(fw1.source.secret) == "env S"


# ---- bad input: one line naming file, host and problem -----------------------------------------

BAD_INPUTS = {
    "unknown key": (
        "hosts:\n  fw1: {host: 192.0.2.1, prot: 22}\n",
        ["host 'fw1'", "unknown key 'prot'", "did you mean 'port'"],
    ),
    "bad port": (
        "hosts:\n  fw1: {host: 192.0.2.1, port: 70000}\n",
        ["host 'fw1'", "port: must be 1-65535 (got 70000)"],
    ),
    "port as text": (
        "hosts:\n  fw1: {host: 192.0.2.1, port: '22'}\n",
        ["host 'fw1'", "port: must be a whole number"],
    ),
    "missing host": ("hosts:\n  fw1: {port: 22}\n", ["host 'fw1'", "missing host"]),
    "yaml syntax": ("hosts:\n  fw1: {host: 192.0.2.1\n  fw2: x\n", ["line 3", "YAML error"]),
    "duplicate host": (
        "hosts:\n  fw1: {host: a}\n  fw1: {host: b}\n",
        ["line 3", "duplicate key 'fw1'"],
    ),
    "unknown group": (
        "groups: {dmz: {}}\nhosts:\n  fw1: {host: 192.0.2.1, groups: [dmz, edge]}\n",
        ["host 'fw1'", "unknown group 'edge'", "dmz"],
    ),
    "missing env var": (
        "hosts:\n  fw1: {host: 192.0.2.1, password_env: FW1_PW}\n",
        ["host 'fw1'", "password", "environment variable FW1_PW is not set"],
    ),
    "bad transport": (
        "hosts:\n  fw1: {host: 192.0.2.1, transport: sshv1}\n",
        ["host 'fw1'", "transport: must be 'ssh' or 'telnet'", "sshv1"],
    ),
    "bad platform": (
        "hosts:\n  fw1: {host: 192.0.2.1, platform: ios}\n",
        ["host 'fw1'", "platform: must be 'pix', 'asa' or 'fwsm'"],
    ),
    "mx without port": (
        "hosts:\n  fw1: {host: 192.0.2.1, mx: 192.0.2.25}\n",
        ["host 'fw1'", "mx: must be host:port"],
    ),
    "mx port out of range": (
        "hosts:\n  fw1: {host: 192.0.2.1, mx: 'mail:0'}\n",
        ["host 'fw1'", "mx:", "1-65535"],
    ),
    "mx bare ipv6": (
        "hosts:\n  fw1: {host: 192.0.2.1, mx: '2001:db8::25:25'}\n",
        ["host 'fw1'", "mx: an IPv6 address must be in brackets"],
    ),
    "mx bad ipv6": (
        "hosts:\n  fw1: {host: 192.0.2.1, mx: '[mail]:25'}\n",
        ["host 'fw1'", "mx: 'mail' is not an IPv6 address"],
    ),
    "bad timezone": (
        "defaults:\n  change_window: {cron: '0 22 * * 6', duration: 4h, timezone: Mars/Olympus}\n"
        "hosts:\n  fw1: {host: 192.0.2.1}\n",
        ["defaults: change_window.timezone: unknown time zone 'Mars/Olympus'"],
    ),
    "bad cron": (
        "hosts:\n  fw1:\n    host: 192.0.2.1\n"
        "    change_window: {cron: '0 22 * *', duration: 4h, timezone: UTC}\n",
        ["host 'fw1'", "change_window.cron: must be cron"],
    ),
    "bad duration": (
        "hosts:\n  fw1:\n    host: 192.0.2.1\n"
        "    change_window: {cron: '0 22 * * 6', duration: 240, timezone: UTC}\n",
        ["host 'fw1'", "change_window.duration: must be a length such as"],
    ),
    "window key missing": (
        "hosts:\n  fw1:\n    host: 192.0.2.1\n"
        "    change_window: {cron: '0 22 * * 6', duration: 4h}\n",
        ["host 'fw1'", "change_window: missing 'timezone'"],
    ),
    "inline and env together": (
        "hosts:\n  fw1: {host: 192.0.2.1, password: x, password_env: X}\n",
        ["host 'fw1'", "give password or password_env, not both"],
    ),
    "unknown key in a group": (
        "groups:\n  dmz: {groups: [x]}\nhosts:\n  fw1: {host: 192.0.2.1}\n",
        ["group 'dmz'", "unknown key 'groups'"],
    ),
    "bad host name": ("hosts:\n  fw 1: {host: 192.0.2.1}\n", ["hosts: name may hold", "'fw 1'"]),
    "host without settings": ("hosts:\n  fw1:\n", ["host 'fw1'", "must be a mapping"]),
    "no hosts": ("hosts: {}\n", ["hosts: must name at least one host"]),
    "misspelled hosts": ("hostz:\n  fw1: {}\n", ["missing 'hosts'", "did you mean 'hosts'"]),
    "empty contexts": (
        "hosts:\n  fw1: {host: 192.0.2.1, contexts: []}\n",
        ["host 'fw1'", "contexts: must not be empty"],
    ),
    "comma in tag": (
        "hosts:\n  fw1: {host: 192.0.2.1, tags: [ok, 'a,b']}\n",
        ["host 'fw1'", "tags[1]: must be text without ','"],
    ),
    "top level list": ("- fw1\n- fw2\n", ["must be a mapping"]),
    "empty file": ("# nothing here\n", ["must be a mapping"]),
    "known_hosts twice": (
        "known_hosts: a\ndefaults: {known_hosts: b}\nhosts:\n  fw1: {host: 192.0.2.1}\n",
        ["known_hosts is set at top level and in defaults"],
    ),
}


@pytest.mark.parametrize(("text", "fragments"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_one_line_naming_file_host_and_problem(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, environ=ENV)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert caught.value.exit_code == 2
    assert caught.value.__cause__ is None  # pydantic/YAML errors quote input: never chained


@pytest.mark.parametrize("missing", ["PIXFIX_USERNAME", "PIXFIX_PASSWORD"])
def test_a_host_without_username_or_password_is_an_error(tmp_path: Path, missing: str) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1}\n")
    environ = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(InventoryError, match=rf"host 'fw1': no \w+: .*{missing}"):
        load_inventory(path, environ=environ)


# ---- require_credentials=False: for commands that never log in --------------------------------


def test_without_required_credentials_a_host_may_have_none(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, mx: '192.0.2.25:25'}\n")
    fw1 = load_inventory(path, environ={}, require_credentials=False).hosts[0]
    assert (fw1.username, fw1.password, fw1.secret) == ("", Secret(""), Secret(""))
    assert fw1.mx == Endpoint(host="192.0.2.25", port=25)
    assert [str(src) for src in (fw1.source.username, fw1.source.password)] == ["none", "none"]


def test_without_required_credentials_an_unset_variable_is_empty(tmp_path: Path) -> None:
    text = "hosts:\n  fw1: {host: 192.0.2.1, username_env: FW_U, password_env: FW_P}\n"
    path = write(tmp_path, text)
    with pytest.raises(InventoryError, match="environment variable FW_U is not set"):
        load_inventory(path, environ={})
    fw1 = load_inventory(path, environ={}, require_credentials=False).hosts[0]
    assert (fw1.username, fw1.password.reveal()) == ("", "")
    assert str(fw1.source.password) == "env FW_P"  # still says where it would come from


def test_without_required_credentials_given_ones_are_still_read(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, secret_env: EN}\n")
    fw1 = load_inventory(path, environ={**ENV, "EN": "en-1"}, require_credentials=False).hosts[0]
    assert (fw1.username, fw1.password.reveal(), fw1.secret.reveal()) == (
        "env-user",
        "env-pw-5e1f",
        "en-1",
    )
    lab = load_inventory(FIXTURES / "lab.yaml", environ={}, require_credentials=False)
    assert lab == load_inventory(FIXTURES / "lab.yaml", environ={})


def test_an_empty_username_is_refused_only_when_credentials_are_required(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, username: '', password: x}\n")
    with pytest.raises(InventoryError, match="host 'fw1': username: is empty"):
        load_inventory(path, environ={})
    assert load_inventory(path, environ={}, require_credentials=False).hosts[0].username == ""


NOT_ABOUT_CREDENTIALS = {k: v for k, v in BAD_INPUTS.items() if k != "missing env var"}


@pytest.mark.parametrize(
    ("text", "fragments"), NOT_ABOUT_CREDENTIALS.values(), ids=NOT_ABOUT_CREDENTIALS.keys()
)
def test_without_required_credentials_every_other_check_still_applies(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, environ={}, require_credentials=False)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert all(fragment in message for fragment in fragments)


def test_require_credentials_is_keyword_only() -> None:
    flag = inspect.signature(load_inventory).parameters["require_credentials"]
    assert (flag.kind, flag.default) == (inspect.Parameter.KEYWORD_ONLY, True)


def test_unreadable_file_is_an_inventory_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"nope\.yaml: cannot read"):
        load_inventory(tmp_path / "nope.yaml", environ=ENV)


@pytest.mark.parametrize(
    "text",
    [
        "hosts:\n  fw1: {host: 192.0.2.1, password: 918273645}\n",  # not text: type error
        "hosts:\n  fw1: {host: 192.0.2.1, passwd: 918273645}\n",  # unknown key
        "hosts:\n  fw1: {host: 192.0.2.1, password_env: 'pw 918273645'}\n",  # not a name
        "hosts:\n  fw1: {host: 192.0.2.1, password: 918273645\n",  # YAML syntax error
    ],
)
def test_error_messages_never_quote_a_password(tmp_path: Path, text: str) -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(write(tmp_path, text), environ=ENV)
    assert "918273645" not in str(caught.value)


# ---- paths, records and the lab inventory -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("known_hosts: kh\nhosts:\n  fw1: {host: a}\n", "sub/kh"),
        ("defaults: {known_hosts: ../kh}\nhosts:\n  fw1: {host: a}\n", "sub/../kh"),
        ("hosts:\n  fw1: {host: a, known_hosts: keys/kh}\n", "sub/keys/kh"),
    ],
)
def test_relative_known_hosts_resolve_against_the_inventory_folder(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "sub").mkdir()
    inv = load_inventory(write(tmp_path / "sub", text), environ=ENV)
    assert inv.hosts[0].known_hosts == tmp_path / expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("defaults: {ssh_config: jump.cfg}\nhosts:\n  fw1: {host: a}\n", "sub/jump.cfg"),
        ("groups: {dmz: {ssh_config: ../j}}\nhosts:\n  fw1: {host: a, groups: [dmz]}\n", "j"),
        ("hosts:\n  fw1: {host: a, ssh_config: ssh/cfg}\n", "sub/ssh/cfg"),
    ],
)
def test_ssh_config_resolves_against_the_inventory_folder(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "sub").mkdir()
    inv = load_inventory(write(tmp_path / "sub", text), environ=ENV)
    assert inv.hosts[0].ssh_config is not None
    assert inv.hosts[0].ssh_config.resolve() == (tmp_path / expected).resolve()


def test_absolute_known_hosts_is_kept(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "kh"
    text = f"hosts:\n  fw1: {{host: a, known_hosts: '{elsewhere}'}}\n"
    inv = load_inventory(write(tmp_path, text), environ=ENV)
    assert inv.hosts[0].known_hosts == elsewhere


def test_lab_inventory_shape_loads_with_inline_warnings() -> None:
    inv = load_inventory(FIXTURES / "lab.yaml", environ={})
    pix, asa = inv.hosts
    assert (pix.name, pix.transport, pix.port) == ("lab-pix41", Transport.TELNET, 10023)
    assert (asa.name, asa.transport, asa.port) == ("lab-asa84", Transport.SSH, 10025)
    assert pix.mx == Endpoint(host="127.0.0.1", port=10251)
    assert pix.known_hosts == FIXTURES / "lab_known_hosts"
    assert (pix.username, pix.password.reveal(), pix.secret.reveal()) == (
        "labuser-4b1d",
        "labpass-7f3a",
        "labenable-92ce",
    )
    assert pix.source.inline_fields() == ("username", "password", "secret")
    assert inv.warnings == (
        f"{FIXTURES / 'lab.yaml'}: defaults has an inline password; prefer password_env",
        f"{FIXTURES / 'lab.yaml'}: defaults has an inline secret; prefer secret_env",
    )


def test_shipped_example_inventory_is_valid() -> None:
    names = (
        "FW_USERNAME FW_PASSWORD FW_ENABLE FW_LEGACY_USERNAME FW_LEGACY_PASSWORD FW_LEGACY_ENABLE"
    )
    inv = load_inventory(
        REPO / "inventories" / "example.yaml", environ=dict.fromkeys(names.split(), "x")
    )
    assert inv.warnings == ()
    pix = host(inv.hosts, "pix-branch-07")
    assert (pix.transport, pix.port, pix.platform) == (Transport.TELNET, 23, Platform.PIX)
    assert host(inv.hosts, "fwsm-core-01").managed_by == "CSM"
    assert host(inv.hosts, "edge-ber-01").mx == Endpoint(host="2001:db8:25::25", port=25)


def test_change_window_is_kept_as_a_record(tmp_path: Path) -> None:
    text = """\
        hosts:
          fw1:
            host: 192.0.2.1
            change_window: {cron: "0 22 * * sat", duration: 1h30m, timezone: Europe/Berlin}
        """
    inv = load_inventory(write(tmp_path, text), environ=ENV)
    assert inv.hosts[0].change_window == ChangeWindow(
        cron="0 22 * * sat", duration=timedelta(hours=1, minutes=30), timezone="Europe/Berlin"
    )
    assert describe_hosts(inv)[0]["change_window"] == {
        "cron": "0 22 * * sat",
        "duration": "1h30m",
        "timezone": "Europe/Berlin",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail.example.net:25", Endpoint(host="mail.example.net", port=25)),
        ("192.0.2.25:2525", Endpoint(host="192.0.2.25", port=2525)),
        ("[2001:db8::25]:25", Endpoint(host="2001:db8::25", port=25)),
    ],
)
def test_parse_endpoint_round_trips(text: str, expected: Endpoint) -> None:
    assert parse_endpoint(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    ("length", "text"),
    [(timedelta(hours=4), "4h"), (timedelta(minutes=90), "1h30m"), (timedelta(days=1), "1d")],
)
def test_format_duration(length: timedelta, text: str) -> None:
    assert format_duration(length) == text


# ---- secrets never shown -----------------------------------------------------------------------


def test_secret_masks_itself_and_compares_by_value() -> None:
    secret = Secret("s3cr3t-value")
    assert repr(secret) == "'********'"
    assert str(secret) == "********"
    assert f"{secret}" == "********"
    assert secret.reveal() == "s3cr3t-value"
    assert secret == Secret("s3cr3t-value")
    assert secret != Secret("other")
    assert hash(secret) == hash(Secret("s3cr3t-value"))


def test_no_secret_appears_in_repr_str_or_description() -> None:
    inv = load_inventory(FIXTURES / "lab.yaml", environ={})
    shown = " ".join([repr(inv), str(inv.hosts), json.dumps(describe_hosts(inv)), *inv.warnings])
    for value in ("labpass-7f3a", "labenable-92ce"):
        assert value not in shown
    assert "********" in repr(inv.hosts[0])


def test_env_secrets_do_not_appear_in_description(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  fw1: {host: 192.0.2.1, secret_env: EN}\n")
    inv = load_inventory(path, environ={**ENV, "EN": "enable-77aa"})
    shown = repr(inv) + json.dumps(describe_hosts(inv))
    assert "env-pw-5e1f" not in shown
    assert "enable-77aa" not in shown
    assert describe_hosts(inv)[0]["credentials"] == {
        "username": "env PIXFIX_USERNAME",
        "password": "env PIXFIX_PASSWORD",
        "secret": "env EN",
    }


# ---- --limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ([], ["fw-fra-1", "fw-fra-2", "fw-ber-1", "pix-old-1"]),
        (["fw-fra-*"], ["fw-fra-1", "fw-fra-2"]),
        (["group=dmz"], ["fw-fra-1", "fw-fra-2"]),
        (["group=leg*"], ["pix-old-1"]),
        (["tag=prod"], ["fw-fra-1", "fw-ber-1", "pix-old-1"]),
        (["fw-*,tag=prod"], ["fw-fra-1", "fw-ber-1"]),  # comma: AND
        (["group=dmz, tag=prod"], ["fw-fra-1"]),
        (["group=dmz", "tag=legacy"], ["fw-fra-1", "fw-fra-2", "pix-old-1"]),  # repeated: OR
        (["tag=legacy", "fw-fra-1"], ["fw-fra-1", "pix-old-1"]),  # inventory order kept
        (["FW-FRA-1"], []),  # case matters
        (["nothing-*"], []),
    ],
)
def test_select_hosts(limits: list[str], expected: list[str]) -> None:
    inv = load_inventory(FIXTURES / "fleet.yaml", environ={"FW_USER": "u", "FW_PASS": "p"})
    assert [h.name for h in select_hosts(inv.hosts, limits)] == expected


@pytest.mark.parametrize("limit", ["", "fw1,,fw2", "group=", "site=fra", "tag=prod,"])
def test_bad_limit_syntax_is_an_input_error(limit: str) -> None:
    with pytest.raises(InputError, match="--limit"):
        parse_limit(limit)


def test_select_hosts_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        select_hosts((), "fw*")


@pytest.mark.parametrize(
    "module",
    [pixfix.inventory.credentials, pixfix.inventory.select, pixfix.inventory.schema],
    ids=lambda module: module.__name__,
)
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
