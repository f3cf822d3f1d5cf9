"""Configuration mode of the simulated devices: submodes, `no` lines, what each train accepts.

The rules: PIX 6 stores `no fixup protocol smtp N` and has no `end`;
MPF trains remove a negated `inspect` line from its class; an ASA converts a typed
`inspect smtp` into `inspect esmtp` (FWSM 3 keeps `smtp`); an ASA refuses a second ESMTP
inspection in a class that already has one.
"""

from __future__ import annotations

from collections.abc import Callable

from pixfix.lab import cfgtree
from pixfix.lab.session import NL, CliSession, Mode
from pixfix.lab.trains import STANDBY_WARNING, Family

ExecHandler = Callable[[CliSession, str], None]

_EXEC_IN_CONFIG = ("show", "write", "copy", "changeto")
_INSPECT_EXISTS = (
    "ERROR: Inspect configuration of this type exists, first remove that configuration "
    "and then add the new configuration"
)
# Words accepted inside a block, by the block header's first word (and the parent's).
_CHILD_WORDS: dict[str, frozenset[str]] = {
    "policy-map": frozenset({"class", "description", "parameters", "match"}),
    "class": frozenset({"inspect", "set", "police", "shape", "priority", "description"}),
    "parameters": frozenset({"mask-banner", "mail-relay", "special-character", "allow-tls"}),
    "match": frozenset({"mask", "drop-connection", "log", "reset", "rate-limit"}),
    "class-map": frozenset({"match", "description"}),
    "interface": frozenset({"nameif", "security-level", "ip", "shutdown", "description",
                            "speed", "duplex", "vlan", "management-only"}),
    "context": frozenset({"allocate-interface", "config-url", "description", "member"}),
    "object": frozenset({"host", "subnet", "range", "description", "nat", "fqdn"}),
    "object-group": frozenset({"network-object", "port-object", "description", "group-object",
                               "service-object", "protocol-object", "icmp-object"}),
}  # fmt: skip
_BLOCK_CHILDREN = frozenset({"class", "parameters", "match"})  # children that open a submode
_TOP_BLOCKS = frozenset(
    {"policy-map", "class-map", "interface", "context", "object", "object-group"}
)
_SINGLE_VALUED = frozenset({"hostname", "pager", "prompt", "domain-name"})


def handle_config_line(session: CliSession, line: str, *, exec_handler: ExecHandler) -> None:
    words = line.split()
    if not words:
        session.show_prompt()
        return
    first = words[0].lower()
    if first == "do" and len(words) > 1:
        exec_handler(session, " ".join(words[1:]))
    elif any(w.startswith(first) for w in _EXEC_IN_CONFIG) and len(first) >= 2:
        exec_handler(session, line)
    elif first == "end" and session.device.train.has_end:
        _leave(session)
    elif first == "exit":
        _exit(session)
    elif first == "terminal" and session.family is Family.MPF:
        session.show_prompt()  # `terminal width 511` (netmiko) is a session setting, not stored
    elif line.strip() == session.device.faults.unauthorized_command:
        # AAA command authorization (the wording of Ansible's cisco.asa error patterns)
        session.write("Command authorization failed" + NL)
        session.show_prompt()
    else:
        _configure(session, words)


def _leave(session: CliSession) -> None:
    session.state.mode = Mode.PRIV
    session.state.path = []
    session.show_prompt()


def _exit(session: CliSession) -> None:
    if session.state.path:
        session.state.path.pop()
        session.show_prompt()
    else:
        _leave(session)


def _configure(session: CliSession, words: list[str]) -> None:
    state = session.state
    negated = words[0].lower() == "no" and len(words) > 1
    body = words[1:] if negated else words
    while state.path and not _fits(state.path, body[0].lower()):
        state.path.pop()  # a global command typed in a submode leaves the submode, as on ASA
    if not state.path and body[0].lower() not in session.device.train.global_words:
        session.emit(session.device.train.error_text)
        return
    message = _apply(session, body, negated=negated)
    if message is None:
        return
    _after_command(session, message)


def _fits(path: list[str], word: str) -> bool:
    header = path[-1].split()[0].lower()
    return word in _CHILD_WORDS.get(header, frozenset())


def _apply(session: CliSession, body: list[str], *, negated: bool) -> str | None:
    """Change the running configuration; returns text to print, or None when refused."""
    state = session.state
    ctx = session.device.contexts[state.context]
    text = _normalise(session, " ".join(body))
    path = list(state.path)
    if negated:
        ctx.running = _negate(ctx.running, path, text)
        return ""
    if body[0].lower() == "inspect" and _has_other_esmtp(ctx.running, path, text):
        session.emit(_INSPECT_EXISTS)
        return None
    if not path and body[0].lower() in _SINGLE_VALUED:
        ctx.running = _replace_single(ctx.running, body[0].lower(), text)
    else:
        order = cfgtree.command_order(ctx.startup)  # the device's own order of commands
        ctx.running = cfgtree.assert_line(cfgtree.ensure_path(ctx.running, path), path, text, order)
    if _opens_block(path, body[0].lower()):
        state.path.append(text.strip())
    return ""


def _normalise(session: CliSession, text: str) -> str:
    """Store a line the way the train prints it back."""
    words = text.split()
    if words[0].lower() == "inspect":
        if session.device.train.product == "ASA" and words[1:2] == ["smtp"]:
            words[1] = "esmtp"
        return " ".join(words) + " "  # the device prints inspect lines with a trailing space
    return " ".join(words)


def _negate(lines: cfgtree.Lines, path: list[str], text: str) -> cfgtree.Lines:
    words = text.split()
    if words[0] == "inspect":
        for child in cfgtree.children(lines, path):
            if _same_inspect(child.split(), words):
                lines, _ = cfgtree.remove_line(lines, path, child)
        return lines
    if words[0] == "pager" and not path:
        return _replace_single(lines, "pager", "no pager")
    out, _ = cfgtree.negate(lines, path, text)
    return out


def _same_inspect(have: list[str], want: list[str]) -> bool:
    """`no inspect esmtp` removes the ESMTP inspection whatever its map; `smtp` = `esmtp`."""
    if have[:1] != ["inspect"] or len(have) < 2:
        return False
    same_kind = have[1] == want[1] or {have[1], want[1]} <= {"esmtp", "smtp"}
    return same_kind and (len(want) == 2 or have[2:] == want[2:])


def _has_other_esmtp(lines: cfgtree.Lines, path: list[str], text: str) -> bool:
    words = text.split()
    if words[1:2] not in (["esmtp"], ["smtp"]):
        return False
    for child in cfgtree.children(lines, path):
        cw = child.split()
        if cw[:1] == ["inspect"] and cw[1:2] in (["esmtp"], ["smtp"]) and cw != words:
            return True
    return False


def _replace_single(lines: cfgtree.Lines, word: str, text: str) -> cfgtree.Lines:
    """`hostname X`, `pager lines N`: one line of its kind, replaced in place."""
    out = list(lines)
    for i, line in enumerate(out):
        if line.split()[:1] == [word] or (word == "pager" and line.strip() == "no pager"):
            out[i] = text
            return tuple(out)
    return cfgtree.add_line(lines, [], text)


def _opens_block(path: list[str], word: str) -> bool:
    if not path:
        return word in _TOP_BLOCKS
    return word in _BLOCK_CHILDREN and path[-1].split()[0] == "policy-map"


def _after_command(session: CliSession, message: str) -> None:
    device = session.device
    was_active = device.role_in(session.state.context) == "active"
    device.replicate(session.state.context)
    device.note_config_command()
    session.state.config_commands += 1
    after = device.faults.drop_after_config
    if after is not None and session.state.config_commands >= after:
        session.drop()  # counted per session, so a reconnect can inspect or roll back
        return
    if device.role_in(session.state.context) == "standby" and not was_active:
        message = STANDBY_WARNING + (NL + message if message else "")
    if message:
        session.write(message + NL)
    session.show_prompt()
