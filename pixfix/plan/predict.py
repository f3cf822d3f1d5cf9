"""Apply remediation commands to a configuration text the way the device would (`predict`).

The prediction is what `pixfix plan` diffs and round-trips (audit of the predicted text), so it
models the device behaviours the remediation meets:

- PIX 4.2-6.3 / FWSM 2.x store a negated fixup: `no fixup protocol smtp 25` replaces the
  `fixup protocol smtp 25` line in place and stays in `show running-config`; typing the fixup
  again replaces the stored `no` line in place.
- MPF trains remove a negated `inspect` line from its class; a re-added inspect line goes to
  the end of its class. An ASA refuses a second ESMTP inspection in a class that has one, and
  stores a typed `inspect smtp` as `inspect esmtp` (FWSM 3 keeps `smtp`).
- In an ESMTP inspect map, `no mask-banner` is stored like a fixup; a map still used by an
  inspect line cannot be removed.
- A top-level command typed in a submode leaves the submode (`policy-map B` after `class C`).
- PIX 4-6 and FWSM 2 leave config mode with `exit` (no `end`); MPF trains with `end`.

Anything else, including a negation that matches nothing, raises `PredictError`: the plan
would not do on the device what it says. The configuration is first normalised
(`normal_config`): session text, blank lines, `Cryptochecksum:`, `: Saved` and `: Written by`
lines are dropped, so the text before and after can be compared line by line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pixfix.errors import PredictError
from pixfix.model import Train
from pixfix.parse.normalize import clean_capture
from pixfix.plan.tree import (
    Lines,
    add_child,
    after_last,
    child_index,
    children,
    find_path,
    inspect_map_position,
    remove_child,
    replace_child,
)
from pixfix.platforms import FACTS

__all__ = ["normal_config", "predict"]

_VOLATILE = re.compile(r"Cryptochecksum:.*|: Saved|: Written by .*|: Call-home enabled .*|:")
_VERSION = re.compile(r"(?:PIX|ASA|FWSM) Version \S")
_TRAILER = re.compile(r"Cryptochecksum:.*|: end")


_NORMAL: dict[str, str] = {}
_NORMAL_LIMIT = 64


def normal_config(text: str) -> str:
    """Memoised `_normal_config`; a normal text maps to itself without being cleaned again.

    Planning one device normalises the capture, then the predicted texts again and again (in
    `predict` and in the checks): remembering outputs as fixed points halves the work.
    """
    known = _NORMAL.get(text)
    if known is not None:
        return known
    if len(_NORMAL) > _NORMAL_LIMIT:
        _NORMAL.clear()
    out = _normal_config(text)
    _NORMAL[text] = out
    _NORMAL[out] = out
    return out


def _remember_normal(text: str) -> None:
    if len(_NORMAL) > _NORMAL_LIMIT:
        _NORMAL.clear()
    _NORMAL[text] = text


def _normal_config(text: str) -> str:
    """The configuration as plans show it: clean, no blank or volatile lines, one `: end`.

    A capture whose only end marker was `Cryptochecksum:` (Oxidized drops `: end`) gets `: end`
    instead, so the normal text still reads as a whole configuration; a capture with no end
    marker at all stays without one (it is cut off, and parsing says so).
    """
    lines = [line for line in clean_capture(text).split("\n") if line.strip()]
    kept = [line for line in lines if not _VOLATILE.fullmatch(line)]
    had_checksum = any(line.startswith("Cryptochecksum:") for line in lines)
    if had_checksum and ": end" not in kept:
        kept.append(": end")
    return "\n".join(kept) + "\n" if kept else ""


@dataclass(frozen=True, slots=True)
class _State:
    """The configuration body and where the session is: exec or config mode, which submode."""

    body: Lines
    train: Train
    config: bool = False
    path: tuple[str, ...] = ()


def _split(text: str) -> tuple[list[str], Lines, list[str]]:
    """Head (up to the version line), body, trailer (from the end marker)."""
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    start = next((i for i, line in enumerate(lines) if _VERSION.match(line)), None)
    if start is None:
        raise PredictError("no PIX, ASA or FWSM version line: nothing to apply commands to")
    rest = range(start + 1, len(lines))
    end = next((i for i in rest if _TRAILER.fullmatch(lines[i])), len(lines))
    return lines[: start + 1], tuple(lines[start + 1 : end]), lines[end:]


def predict(config: str, commands: Sequence[str], train: Train) -> str:
    """The normal configuration text after the device ran `commands` from the privileged prompt.

    `config` is one configuration (for a context, that context's own); `changeto` and
    `write memory` lines are accepted and change nothing in it.
    """
    head, body, trailer = _split(normal_config(config))
    state = _State(body=body, train=train)
    for number, command in enumerate(commands, start=1):
        try:
            state = _step(state, command)
        except PredictError as exc:
            raise PredictError(f"command {number} {command.strip()!r}: {exc}") from exc
    if state.config:
        raise PredictError("the commands do not leave configuration mode")
    after = "\n".join([*head, *state.body, *trailer]) + "\n"
    _remember_normal(after)  # built from normal lines: cleaning it again would change nothing
    return after


_EXEC = re.compile(r"changeto (?:system|context \S+)|write memory|reload")


def _step(state: _State, command: str) -> _State:
    words = command.split()
    if not state.config:
        if " ".join(words) == FACTS[state.train].enter_config:
            return replace(state, config=True, path=())
        if _EXEC.fullmatch(" ".join(words)):
            return state
        raise PredictError("not an exec command the plan uses")
    if not words:
        return state
    if words == [FACTS[state.train].leave_config] or (words == ["exit"] and not state.path):
        return replace(state, config=False, path=())
    if words == ["exit"]:
        return replace(state, path=state.path[:-1])
    return _configure(state, words)


def _kind(header: str) -> str:
    """What a submode header is: `esmtp-map`, `policy`, `class`, `parameters` or `match`."""
    if header.startswith("policy-map type inspect esmtp "):
        return "esmtp-map"
    return "policy" if header.startswith("policy-map ") else header.split(maxsplit=1)[0]


def _configure(state: _State, words: list[str]) -> _State:
    negated = words[0] == "no" and len(words) > 1
    body = words[1:] if negated else words
    path = state.path
    while path and (_kind(path[-1]), body[0]) not in _HANDLERS:
        path = path[:-1]  # a global command typed in a submode leaves the submode
    handler = _HANDLERS.get((_kind(path[-1]) if path else "top", body[0]))
    if handler is None:
        raise PredictError("the device would refuse it here (not a remediation command)")
    return handler(replace(state, path=path), " ".join(body), negated)


# -- top level ---------------------------------------------------------------------------------
def _top_fixup(state: _State, text: str, negated: bool) -> _State:
    """PIX 6 / FWSM 2 keep `no fixup protocol smtp N` in the configuration, in place."""
    if not FACTS[state.train].has_fixups:
        raise PredictError("fixup commands exist only on PIX 4.2-6.3 and FWSM 2.x")
    want, other = ("no " + text, text) if negated else (text, "no " + text)
    index = child_index(state.body, None, other)
    if index is not None:
        return replace(state, body=replace_child(state.body, index, want))
    at = after_last(state.body, "fixup")
    return replace(state, body=add_child(state.body, None, want, at=at))


def _top_mailhost(state: _State, text: str, negated: bool) -> _State:
    """PIX 4.x: `no mailhost ...` removes the line (not confirmed on a device)."""
    if not FACTS[state.train].has_mailhost:
        raise PredictError("mailhost exists only on PIX 4.0-4.1")
    if negated:
        return replace(state, body=_must_remove(state.body, None, text))
    at = after_last(state.body, "mailhost")
    return replace(state, body=add_child(state.body, None, text, at=at))


def _top_policy_map(state: _State, text: str, negated: bool) -> _State:
    if FACTS[state.train].inspect_protocol is None:
        raise PredictError("policy-map exists only on MPF trains (PIX 7+, ASA, FWSM 3)")
    is_map = _kind(text) == "esmtp-map"
    if text.startswith("policy-map type ") and not is_map:
        raise PredictError("only ESMTP inspect maps are part of a remediation")
    if negated:
        return _remove_map(state, text)
    if find_path(state.body, (text,)) is None:
        at = inspect_map_position(state.body) if is_map else None
        state = replace(state, body=add_child(state.body, None, text, at=at))
    return replace(state, path=(text,))


def _remove_map(state: _State, text: str) -> _State:
    """The ASA refuses to remove an inspect map that an inspect line still uses."""
    if _kind(text) != "esmtp-map":
        raise PredictError("a remediation never removes a layer 3/4 policy-map")
    name = text.rsplit(maxsplit=1)[-1]
    users = [line for line in state.body if line.split()[:3] == ["inspect", "esmtp", name]]
    if users:
        raise PredictError(f"inspect map {name} is still used ({users[0].strip()})")
    return replace(state, body=_must_remove(state.body, None, text))


# -- submodes ----------------------------------------------------------------------------------
def _parent(state: _State) -> int:
    index = find_path(state.body, state.path)
    if index is None:
        raise PredictError(f"submode {' / '.join(state.path)} is not in the configuration")
    return index


def _enter(state: _State, text: str, negated: bool) -> _State:
    """`class C`, `parameters`, `match ...`: enter the submode, creating it when missing."""
    if negated:
        raise PredictError("a remediation never removes a class or map section")
    body = add_child(state.body, _parent(state), text)
    return replace(state, body=body, path=(*state.path, text))


def _inspect(state: _State, text: str, negated: bool) -> _State:
    """Add or remove an SMTP inspection in a class (one per class, as the ASA enforces)."""
    words = text.split()
    if FACTS[state.train].inspect_protocol == "esmtp" and words[1:2] == ["smtp"]:
        words[1] = "esmtp"  # the ASA stores a typed `inspect smtp` as `inspect esmtp`
    if words[1:2] not in (["esmtp"], ["smtp"]):
        raise PredictError("only SMTP inspection is part of a remediation")
    parent = _parent(state)
    mine = [c for c in children(state.body, parent) if c.split()[1:2] in (["esmtp"], ["smtp"])]
    if negated:
        gone = [c for c in mine if _negates(c.split(), words)]
        if not gone:
            raise PredictError("no such inspect line in this class")
        return replace(state, body=_must_remove(state.body, parent, gone[0]))
    line = " ".join(words)
    if any(not _same_words(c, line) for c in mine):
        raise PredictError(f"the class already has {mine[0]!r}: the device refuses a second one")
    return replace(state, body=add_child(state.body, parent, line))


def _negates(have: list[str], typed: list[str]) -> bool:
    """`no inspect esmtp` matches the class's ESMTP inspection; `no inspect esmtp M` only M's."""
    return have[1] == typed[1] and (len(typed) == 2 or have[2:] == typed[2:])


def _same_words(a: str, b: str) -> bool:
    return a.split() == b.split()


def _parameter(state: _State, text: str, negated: bool) -> _State:
    """`no mask-banner` is stored in place of `mask-banner`; other parameters come and go."""
    parent = _parent(state)
    if text == "mask-banner":
        want, other = ("no " + text, text) if negated else (text, "no " + text)
        index = child_index(state.body, parent, other)
        if index is not None:
            return replace(state, body=replace_child(state.body, index, want))
        return replace(state, body=add_child(state.body, parent, want))
    if negated:
        return replace(state, body=_must_remove(state.body, parent, text))
    return replace(state, body=add_child(state.body, parent, text))


def _must_remove(body: Lines, parent: int | None, text: str) -> Lines:
    out = remove_child(body, parent, text)
    if out is None:
        raise PredictError(f"nothing to remove: {text!r} is not configured")
    return out


_Handler = Callable[[_State, str, bool], _State]
_HANDLERS: dict[tuple[str, str], _Handler] = {
    ("top", "fixup"): _top_fixup,
    ("top", "mailhost"): _top_mailhost,
    ("top", "policy-map"): _top_policy_map,
    ("policy", "class"): _enter,
    ("class", "inspect"): _inspect,
    ("esmtp-map", "parameters"): _enter,
    ("esmtp-map", "match"): _enter,
    ("parameters", "mask-banner"): _parameter,
    ("parameters", "allow-tls"): _parameter,
    ("match", "mask"): _parameter,
}
