"""Ansible (INI, YAML) and Nornir inventories: detection, each tool's precedence, skipped hosts,
errors that name file and scope, secrets that stay out of every message, and `inventory check`."""

from __future__ import annotations

import doctest
import json
import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pixfix.inventory.ansible
import pixfix.inventory.formats
from pixfix.cli.inventory import inventory as inventory_cli
from pixfix.errors import InventoryError
from pixfix.inventory.formats import detect_format
from pixfix.inventory.load import Host, Inventory, InventoryFormat
from pixfix.inventory.load import load_inventory as _load
from pixfix.inventory.select import describe_hosts
from pixfix.model import Platform, Transport

FIXTURES = Path(__file__).parents[1] / "fixtures" / "inventories"
ENV = {
    "FW_USERNAME": "ops",
    "FW_PASSWORD": "pw-4d2a",
    "FW_ENABLE": "en-77c1",
    "FW_LEGACY_PASSWORD": "legacy-pw-0b9e",
    "PIXFIX_USERNAME": "dflt",
    "PIXFIX_PASSWORD": "dflt-pw",
}
PLANTED = "planted-secret-6e1b9c"  # a password that must never be shown


def load_inventory(path: Path, environ: dict[str, str] | None = None) -> Inventory:
    return _load(path, environ=ENV if environ is None else environ)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def by_name(inv: Inventory) -> dict[str, Host]:
    return {host.name: host for host in inv.hosts}


@pytest.mark.parametrize("module", [pixfix.inventory.formats, pixfix.inventory.ansible])
def test_docstring_examples(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


# ---- detection ------------------------------------------------------------------------------

DETECTED = {
    "ecosystem.yaml": InventoryFormat.PIXFIX,
    "lab.yaml": InventoryFormat.PIXFIX,
    "precedence.yaml": InventoryFormat.PIXFIX,
    "ansible/hosts.ini": InventoryFormat.ANSIBLE_INI,
    "ansible/hosts.yaml": InventoryFormat.ANSIBLE_YAML,
    "nornir": InventoryFormat.NORNIR,
    "nornir/hosts.yaml": InventoryFormat.NORNIR,
}


@pytest.mark.parametrize(("name", "kind"), DETECTED.items())
def test_each_fixture_is_detected_as_its_format(name: str, kind: InventoryFormat) -> None:
    assert detect_format(FIXTURES / name) is kind
    assert _load(FIXTURES / name, environ={}, require_credentials=False).kind is kind


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("hosts", "[asa]\nfw1 ansible_host=192.0.2.1\n", InventoryFormat.ANSIBLE_INI),
        ("hosts", "fw1 ansible_host=192.0.2.1\n", InventoryFormat.ANSIBLE_INI),
        ("inv.ini", "fw1: {host: x}\n", InventoryFormat.ANSIBLE_INI),
        ("inv.yaml", "hosts:\n  fw1: {host: 192.0.2.1\n", InventoryFormat.PIXFIX),  # broken YAML
        ("inv.yaml", "- a\n", InventoryFormat.PIXFIX),
        ("inv.yaml", "hostz:\n  fw1: {}\n", InventoryFormat.PIXFIX),  # misspelt: pixfix's error
        ("inv.yml", "all:\n  hosts:\n    fw1:\n", InventoryFormat.ANSIBLE_YAML),
        ("inv.yml", "fw1: {hostname: 192.0.2.1}\n", InventoryFormat.NORNIR),
    ],
)
def test_detection_goes_by_content(
    tmp_path: Path, name: str, text: str, kind: InventoryFormat
) -> None:
    assert detect_format(write(tmp_path, name, text)) is kind


def test_a_missing_path_gets_the_pixfix_readers_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"nope\.yaml: cannot read"):
        load_inventory(tmp_path / "nope.yaml")


def test_a_folder_without_hosts_yaml_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"must hold hosts\.yaml"):
        load_inventory(tmp_path)


# ---- the same estate in four files ----------------------------------------------------------

FOREIGN = ["ansible/hosts.ini", "ansible/hosts.yaml", "nornir", "nornir/hosts.yaml"]


def comparable(inv: Inventory) -> list[dict[str, object]]:
    """Every resolved setting but groups (each tool has its own), paths relative to the file."""
    rows = []
    for row in describe_hosts(inv):
        row.pop("groups")
        if row["known_hosts"] is not None:
            row["known_hosts"] = Path(str(row["known_hosts"])).relative_to(
                inv.path if inv.path.is_dir() else inv.path.parent
            )
        rows.append(row)
    return rows


@pytest.mark.parametrize("name", FOREIGN)
def test_ansible_and_nornir_resolve_like_the_pixfix_inventory(name: str) -> None:
    native = load_inventory(FIXTURES / "ecosystem.yaml")
    foreign = load_inventory(FIXTURES / name)
    assert comparable(foreign) == comparable(native)
    assert [h.password for h in foreign.hosts] == [h.password for h in native.hosts]
    assert [h.secret for h in foreign.hosts] == [h.secret for h in native.hosts]
    assert foreign.warnings == ()


@pytest.mark.parametrize("name", FOREIGN)
def test_switches_are_skipped_and_counted(name: str) -> None:
    inv = load_inventory(FIXTURES / name)
    assert [(s.name, s.platform) for s in inv.skipped] == [
        ("core-sw-01", "cisco_ios" if "nornir" in name else "cisco.ios.ios"),
        ("core-sw-02", "cisco_ios" if "nornir" in name else "cisco.ios.ios"),
    ]


@pytest.mark.parametrize("name", FOREIGN)
def test_groups_include_parent_groups_for_limit(name: str) -> None:
    hosts = by_name(load_inventory(FIXTURES / name))
    assert set(hosts["edge-ber-01"].groups) == {"firewalls", "dmz", "berlin"}
    assert set(hosts["pix-branch-07"].groups) == {"firewalls", "legacy"}


# ---- Ansible precedence ---------------------------------------------------------------------


def test_ansible_group_depth_then_priority_then_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hosts.ini",
        """\
        [parent:children]
        child

        [child]
        fw1

        [alpha]
        fw1

        [zulu]
        fw1

        [all:vars]
        ansible_port=2001
        [parent:vars]
        ansible_port=2002
        pixfix_managed_by=parent
        [child:vars]
        ansible_port=2003
        [alpha:vars]
        pixfix_managed_by=alpha
        pixfix_tags=alpha
        [zulu:vars]
        pixfix_tags=zulu
        ansible_group_priority=0
        """,
    )
    fw1 = load_inventory(path).hosts[0]
    assert fw1.port == 2003  # the child (deeper) beats its parent and `all`
    assert fw1.managed_by == "parent"  # same depth: by name, the later name wins
    assert fw1.tags == ("alpha",)  # zulu's lower priority puts it first, so alpha wins
    assert fw1.host == "fw1"  # no ansible_host: the inventory name
    assert set(fw1.groups) == {"parent", "child", "alpha", "zulu"}


def test_ansible_var_files_rank_as_ansible_ranks_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hosts.yml",
        """\
        all:
          vars: {pixfix_managed_by: inventory-all, ansible_port: 2001}
          children:
            dmz:
              vars: {ansible_port: 2002, pixfix_mx: "192.0.2.1:25"}
              hosts:
                fw1: {ansible_host: 192.0.2.10, pixfix_mx: "192.0.2.9:25"}
        """,
    )
    write(tmp_path, "group_vars/all/main.yml", "ansible_port: 2003\npixfix_managed_by: files-all\n")
    write(tmp_path, "group_vars/dmz.yaml", "ansible_port: 2004\n")
    write(tmp_path, "host_vars/fw1", "pixfix_mx: '192.0.2.25:25'\n")
    fw1 = load_inventory(path).hosts[0]
    assert fw1.managed_by == "files-all"  # group_vars/all beats the inventory file's groups
    assert fw1.port == 2004  # group_vars/dmz beats group_vars/all
    assert str(fw1.mx) == "192.0.2.25:25"  # host_vars beats the inventory file's host vars


def test_ansible_ini_host_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "inventory",
        """\
        ; a comment, and one below
        # [not-a-section]
        fw-[08:10] pixfix_transport=telnet
        edge.example.net:2222 ansible_user="ops team"  # trailing comment
        [dc]
        core-[a:b]-fw ansible_host=192.0.2.1
        """,
    )
    hosts = by_name(load_inventory(path))
    assert list(hosts) == ["fw-08", "fw-09", "fw-10", "edge.example.net", "core-a-fw", "core-b-fw"]
    assert (hosts["fw-09"].transport, hosts["fw-09"].port) == (Transport.TELNET, 23)
    assert (hosts["edge.example.net"].port, hosts["edge.example.net"].username) == (
        2222,
        "ops team",
    )
    assert hosts["core-b-fw"].groups == ("dc",)
    assert hosts["fw-08"].groups == ()  # ungrouped and all are Ansible's own, not for --limit


@pytest.mark.parametrize(
    ("network_os", "kept", "platform"),
    [
        ("cisco.asa.asa", True, Platform.ASA),
        ("asa", True, Platform.ASA),
        ("pix", True, Platform.PIX),
        ("cisco.ios.ios", False, None),
        ("junipernetworks.junos.junos", False, None),
    ],
)
def test_ansible_network_os_is_only_a_hint(
    tmp_path: Path, network_os: str, kept: bool, platform: Platform | None
) -> None:
    path = write(
        tmp_path,
        "hosts.ini",
        f"fw1 ansible_network_os={network_os}\nfw2\n"
        "fw3 ansible_network_os=ios pixfix_platform=asa\n",
    )
    inv = load_inventory(path)
    hosts = by_name(inv)
    assert ("fw1" in hosts) is kept
    if kept:
        assert hosts["fw1"].platform is platform
    else:
        assert [s.name for s in inv.skipped] == ["fw1"]
    assert hosts["fw2"].platform is None  # no hint: kept, the train is read from the device
    assert hosts["fw3"].platform is Platform.ASA  # pixfix_platform rules it in


def test_a_host_skipped_as_another_platform_is_never_translated(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hosts.ini",
        "fw1\nsw1 ansible_network_os=cisco.ios.ios ansible_port='{{ port_of_sw }}' x=1\n",
    )
    assert [h.name for h in load_inventory(path).hosts] == ["fw1"]


def test_only_other_platforms_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts.ini", "sw1 ansible_network_os=cisco.nxos.nxos\n")
    with pytest.raises(InventoryError, match=r"no host that may be a PIX, ASA or FWSM \(1 skipped"):
        load_inventory(path)


def test_ansible_credentials_from_env_lookups_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hosts.yml",
        """\
        all:
          hosts:
            fw1:
              ansible_user: "{{ lookup('env', 'FW_USERNAME') }}"
              ansible_password: "{{lookup(\\"env\\",\\"FW_PASSWORD\\")}}"
            fw2:
              ansible_become_pass: "{{ lookup('ansible.builtin.env', 'FW_ENABLE') }}"
        """,
    )
    environ = {**ENV, "PIXFIX_USERNAME": "dflt", "PIXFIX_PASSWORD": "dflt-pw"}
    fw1, fw2 = load_inventory(path, environ).hosts
    assert (fw1.username, fw1.password.reveal(), fw1.secret.reveal()) == ("ops", "pw-4d2a", "")
    assert (fw2.username, fw2.password.reveal(), fw2.secret.reveal()) == (
        "dflt",
        "dflt-pw",
        "en-77c1",
    )
    assert [str(s) for s in (fw2.source.username, fw2.source.secret)] == [
        "env PIXFIX_USERNAME",
        "env FW_ENABLE",
    ]


def test_pixfix_variables_win_over_ansible_ones_at_the_same_scope(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hosts.ini",
        f"fw1 ansible_password={PLANTED} pixfix_password_env=FW_PASSWORD ansible_port=22 "
        "pixfix_port=2222\n",
    )
    fw1 = load_inventory(path).hosts[0]
    assert (fw1.password.reveal(), fw1.port) == ("pw-4d2a", 2222)


def test_inline_ansible_passwords_warn_naming_file_and_scope(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts.ini", f"[asa]\nfw1\n[asa:vars]\nansible_password={PLANTED}\n")
    write(tmp_path, "host_vars/fw1.yml", f"ansible_become_password: {PLANTED}\n")
    inv = load_inventory(path)
    assert inv.warnings == (
        f"{path}: group 'asa' has an inline password (ansible_password); prefer "
        "\"{{ lookup('env', 'NAME') }}\", pixfix_<name>_env or the keyring",
        f"{tmp_path / 'host_vars' / 'fw1.yml'}: host 'fw1' has an inline secret "
        "(ansible_become_password); prefer \"{{ lookup('env', 'NAME') }}\", pixfix_<name>_env "
        "or the keyring",
    )
    assert inv.hosts[0].password.reveal() == PLANTED


def test_vault_values_are_refused_and_vault_files_are_warned_about(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hosts.yml",
        """\
        all:
          hosts:
            fw1:
              ansible_password: !vault |
                $ANSIBLE_VAULT;1.1;AES256
                6638643965
        """,
    )
    with pytest.raises(InventoryError, match="host 'fw1': ansible_password is encrypted"):
        load_inventory(path)
    write(tmp_path, "hosts.yml", "all:\n  hosts:\n    fw1:\n")
    write(tmp_path, "group_vars/all.yml", "$ANSIBLE_VAULT;1.1;AES256\n6638643965\n")
    inv = load_inventory(path, {**ENV, "PIXFIX_USERNAME": "u", "PIXFIX_PASSWORD": "p"})
    assert inv.warnings == (
        f"{tmp_path / 'group_vars' / 'all.yml'}: encrypted with ansible-vault; "
        "its variables are not read",
    )


ANSIBLE_ERRORS = {
    "template": (
        "fw1 ansible_host='{{ inventory_hostname }}.example.net'\n",
        ["host 'fw1': ansible_host is a template"],
    ),
    "template password": (
        f"fw1 ansible_password='{{{{ vault_{PLANTED} }}}}'\n",
        ["host 'fw1': ansible_password is a template"],
    ),
    "unknown pixfix variable": (
        "fw1 pixfix_trasnport=telnet\n",
        ["host 'fw1': unknown variable 'pixfix_trasnport'", "did you mean 'pixfix_transport'"],
    ),
    "bad port": ("fw1 ansible_port=70000\n", ["host 'fw1': ansible_port: must be 1-65535"]),
    "bad transport": (
        "fw1 pixfix_transport=sshv1\n",
        ["host 'fw1': pixfix_transport: must be 'ssh' or 'telnet'", "sshv1"],
    ),
    "bad env name": (
        f"fw1 pixfix_password_env='pw {PLANTED}'\n",
        ["host 'fw1': pixfix_password_env: must name an environment variable"],
    ),
    "section kind": ("[dmz:other]\nfw1\n", ["line 1: unknown section kind 'other'"]),
    "not key=value": ("[dmz:vars]\nansible_port 22\n", ["line 2: expected key=value"]),
    "quotes": (f"fw1 ansible_password='{PLANTED}\n", ["line 1: unbalanced quotes"]),
    "cycle": (
        "[a:children]\nb\n[b:children]\na\n[a]\nfw1\n",
        ["is its own ancestor"],
    ),
    "host name": ("fw/1\n", ["host name 'fw/1' may hold only"]),
}


@pytest.mark.parametrize(("text", "fragments"), ANSIBLE_ERRORS.values(), ids=ANSIBLE_ERRORS.keys())
def test_ansible_mistakes_are_one_line_naming_the_file(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = write(tmp_path, "hosts", text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert all(fragment in message for fragment in fragments), message
    assert PLANTED not in message
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("all:\n  hostz:\n    fw1:\n", ["group 'all': unknown key 'hostz'"]),
        ("all:\n  hosts:\n    fw1: [a]\n", ["host 'fw1': a host must be a mapping"]),
        (
            f"all:\n  hosts:\n    fw1: {{ansible_password: [{PLANTED}]}}\n",
            ["host 'fw1': ansible_password: must be text"],
        ),
        ("all:\n  hosts:\n    fw1: {ansible_port: '22a'}\n", ["ansible_port: must be a whole"]),
    ],
)
def test_ansible_yaml_mistakes(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path, "hosts.yml", text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert all(fragment in str(caught.value) for fragment in fragments), str(caught.value)
    assert PLANTED not in str(caught.value)


# ---- Nornir precedence ----------------------------------------------------------------------


def nornir(tmp_path: Path, hosts: str, groups: str = "", defaults: str = "") -> Path:
    write(tmp_path, "hosts.yaml", hosts)
    if groups:
        write(tmp_path, "groups.yaml", groups)
    if defaults:
        write(tmp_path, "defaults.yaml", defaults)
    return tmp_path


def test_nornir_first_group_wins_and_parents_follow_their_child(tmp_path: Path) -> None:
    folder = nornir(
        tmp_path,
        "fw1: {hostname: 192.0.2.1, groups: [a, b]}\n",
        """\
        a: {groups: [a-parent], data: {pixfix_managed_by: a}}
        a-parent: {port: 2001, data: {pixfix_managed_by: a-parent, pixfix_tags: [p]}}
        b: {port: 2002, username: from-b, data: {pixfix_tags: [b]}}
        """,
        "username: from-defaults\nport: 2000\npassword: x\n",
    )
    fw1 = load_inventory(folder).hosts[0]
    assert fw1.managed_by == "a"
    assert fw1.port == 2001  # a's parent comes before b, as in nornir's extended_groups
    assert fw1.tags == ("p",)
    assert fw1.username == "from-b"
    assert fw1.groups == ("a", "a-parent", "b")


def test_nornir_netmiko_options_win_and_extras_are_taken_whole(tmp_path: Path) -> None:
    folder = nornir(
        tmp_path,
        """\
        fw1:
          hostname: 192.0.2.1
          username: plain
          groups: [g]
          connection_options:
            netmiko: {extras: {fast_cli: false}}
        fw2:
          hostname: 192.0.2.2
          groups: [g]
        """,
        """\
        g:
          connection_options:
            netmiko:
              hostname: 192.0.2.99
              username: netmiko-user
              platform: cisco_asa_telnet
              extras: {secret: en-from-g}
        """,
        "password: pw\n",
    )
    fw1, fw2 = load_inventory(folder, {}).hosts
    assert (fw1.host, fw1.username, fw1.transport) == (
        "192.0.2.99",
        "netmiko-user",
        Transport.TELNET,
    )
    assert fw1.secret.reveal() == ""  # fw1's own extras (without secret) are used whole
    assert fw2.secret.reveal() == "en-from-g"


def test_nornir_matches_nornir_itself(tmp_path: Path) -> None:
    simple = pytest.importorskip("nornir.plugins.inventory.simple")
    folder = FIXTURES / "nornir"
    theirs = simple.SimpleInventory(
        host_file=str(folder / "hosts.yaml"),
        group_file=str(folder / "groups.yaml"),
        defaults_file=str(folder / "defaults.yaml"),
    ).load()
    ours = by_name(load_inventory(folder))
    for name, host in ours.items():
        params = theirs.hosts[name].get_connection_parameters("netmiko")
        default_port = 23 if host.transport is Transport.TELNET else 22
        assert (host.host, host.port) == (params.hostname, params.port or default_port)
        assert [g.name for g in theirs.hosts[name].extended_groups()] == list(host.groups)
        assert host.username == "ops"  # data.pixfix_username_env, which nornir leaves alone


@pytest.mark.parametrize(
    ("hosts", "groups", "fragment"),
    [
        ("fw1: {hostnme: x}\n", "", "host 'fw1': unknown key 'hostnme'"),
        ("fw1: {hostname: x, groups: [nope]}\n", "", "unknown group 'nope'"),
        ("fw1: {hostname: x, groups: [a]}\n", "a: {groups: [a]}\n", "group 'a' is its own parent"),
        ("fw1: {hostname: x, data: {pixfix_mxx: 'a:25'}}\n", "", "did you mean 'pixfix_mx'"),
        ("fw1: {hostname: x, port: '22a'}\n", "", "host 'fw1': port: must be a whole number"),
        ("fw1: {port: 22}\n", "", "host 'fw1': missing host"),
        (
            "fw1: {hostname: x, connection_options: {netmiko: {secret: y}}}\n",
            "",
            "connection_options.netmiko: unknown key 'secret'",
        ),
    ],
)
def test_nornir_mistakes(tmp_path: Path, hosts: str, groups: str, fragment: str) -> None:
    with pytest.raises(InventoryError, match=fragment):
        load_inventory(
            nornir(tmp_path, hosts, groups), {"PIXFIX_USERNAME": "u", "PIXFIX_PASSWORD": "p"}
        )


def test_nornir_inline_password_warns_naming_the_file(tmp_path: Path) -> None:
    folder = nornir(tmp_path, f"fw1: {{hostname: x, username: u, password: {PLANTED}}}\n")
    assert load_inventory(folder, {}).warnings == (
        f"{folder / 'hosts.yaml'}: host 'fw1' has an inline password (password); prefer "
        "data.pixfix_<name>_env, PIXFIX_<NAME> or the keyring",
    )


# ---- secrets stay out of everything shown ---------------------------------------------------


def test_planted_password_never_shows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(
        tmp_path,
        "hosts.ini",
        f"[asa]\nfw1 ansible_host=192.0.2.1\n[asa:vars]\nansible_user=ops\n"
        f"ansible_password={PLANTED}\nansible_become_password={PLANTED}-en\n",
    )
    caplog.set_level(logging.DEBUG)
    inv = load_inventory(path, {})
    shown = [repr(inv), str(inv), json.dumps(describe_hosts(inv)), caplog.text]
    outcome = CliRunner().invoke(inventory_cli, ["check", "-i", str(path)])
    outcome_json = CliRunner().invoke(inventory_cli, ["check", "-i", str(path), "--format", "json"])
    shown += [outcome.output, outcome_json.output]
    assert outcome.exit_code == 0
    assert all(PLANTED not in text for text in shown)


# ---- inventory check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "footer", "skipped"),
    [
        ("ansible/hosts.ini", "from an Ansible inventory (INI)", "(cisco.ios.ios)"),
        ("ansible/hosts.yaml", "from an Ansible inventory (YAML)", "(cisco.ios.ios)"),
        ("nornir", "from a Nornir SimpleInventory", "(cisco_ios)"),
    ],
)
def test_inventory_check_says_what_it_understood(
    monkeypatch: pytest.MonkeyPatch, name: str, footer: str, skipped: str
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    outcome = CliRunner().invoke(inventory_cli, ["check", "-i", str(FIXTURES / name)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout.splitlines()[-1] == f"4 host(s) {footer}, 2 skipped as other platforms"
    assert outcome.stderr == (
        f"pixfix: note: 2 hosts skipped as not PIX/ASA/FWSM: core-sw-01 {skipped}, "
        f"core-sw-02 {skipped}\n"
    )
    rows = json.loads(
        CliRunner()
        .invoke(inventory_cli, ["check", "-i", str(FIXTURES / name), "--format", "json"])
        .stdout
    )
    assert [row["name"] for row in rows] == [
        "edge-fra-01",
        "edge-ber-01",
        "pix-branch-07",
        "fwsm-core-01",
    ]
    assert rows[2]["credentials"]["password"] == "env FW_LEGACY_PASSWORD"


def test_pixfix_inventories_keep_their_plain_footer() -> None:
    outcome = CliRunner().invoke(
        inventory_cli, ["check", "-i", str(FIXTURES / "lab.yaml"), "--limit", "lab-pix41"]
    )
    assert outcome.stdout.splitlines()[-1] == "1 host(s)"
