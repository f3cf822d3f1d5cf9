"""Exec-mode commands of the simulated devices (login, enable, show, write, reload, changeto).

Commands are matched word by word on unique prefixes, as the devices accept abbreviations
(`wr mem`, `sh run`, `conf t`). Configuration-mode lines go to `pixfix.lab.configmode`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pixfix.lab import configmode, extras, hostile, reloads, render
from pixfix.lab.device import SINGLE, SYSTEM
from pixfix.lab.pipes import output_filter, split_pipe
from pixfix.lab.reporting import ask_reporting
from pixfix.lab.session import NL, CliSession, Mode
from pixfix.lab.trains import STANDBY_WARNING, Family

Handler = Callable[[CliSession, list[str]], None]


def words_match(typed: Sequence[str], spec: Sequence[str]) -> bool:
    """True when each typed word abbreviates the spec word in the same place."""
    if len(typed) < len(spec):
        return False
    return all(
        word and full.startswith(word.lower()) for word, full in zip(typed, spec, strict=False)
    )


def handle_line(session: CliSession, line: str) -> None:
    """Entry point for every line typed at a prompt."""
    mode = session.state.mode
    if mode is Mode.LOGIN_USER:
        session.state.login_user = line.strip()
        session.state.mode = Mode.LOGIN_CHALLENGE
        session.write("Password: ")
    elif mode is Mode.LOGIN_CHALLENGE:
        _check_login(session, line)
    elif mode is Mode.CONFIG:
        configmode.handle_config_line(session, line, exec_handler=run_exec)
    elif not line.strip():
        session.show_prompt()
    else:
        run_exec(session, line)


def _check_login(session: CliSession, password: str) -> None:
    creds = session.device.credentials
    ok = session.state.login_user == creds.username and password == creds.password
    if ok and not session.device.faults.wrong_credentials:
        session.logged_in(session.state.login_user)
        return
    session.state.failures += 1
    if session.state.failures >= 3:
        session.write(f"Error in authentication.{NL}")
        session.close()
        return
    session.state.mode = Mode.LOGIN_USER
    session.write(f"Error in authentication.{NL}{NL}Username: ")


def run_exec(session: CliSession, line: str) -> None:
    """One command at a privileged or user prompt; `| include X` and its kin filter its output
    (MPF trains: PIX 7+, ASA, FWSM 3)."""
    command, pipe = split_pipe(line)
    if pipe is None:
        _run_command(session, line)
        return
    chosen = output_filter(pipe) if session.family is Family.MPF else None
    if chosen is None:
        error(session)
        return
    session.output_filter = chosen
    try:
        _run_command(session, command)
    finally:
        session.output_filter = None


def _run_command(session: CliSession, line: str) -> None:
    words = line.split()
    table = _USER_COMMANDS if session.state.mode is Mode.USER else _PRIV_COMMANDS
    for spec, handler, families in table:
        if session.family in families and words_match(words, spec):
            handler(session, words[len(spec) :])
            return
    error(session)


def error(session: CliSession) -> None:
    session.emit(session.device.train.error_text)


# -- user mode ---------------------------------------------------------------------------------
def _enable(session: CliSession, _args: list[str]) -> None:
    tries = [0]

    def answer(secret: str) -> None:
        if (
            secret == session.device.credentials.secret
            and not session.device.faults.wrong_credentials
        ):
            session.state.mode = Mode.PRIV
            session.show_prompt()
            return
        tries[0] += 1
        if tries[0] >= 3:
            session.write(f"Access denied.{NL}")
            session.show_prompt()
            return
        session.ask(f"Invalid password{NL}Password: ", answer, echo=False)

    if session.state.mode is Mode.PRIV:
        session.show_prompt()
        return
    session.ask("Password: ", answer, echo=False)


def _logout(session: CliSession, _args: list[str]) -> None:
    session.write(f"{NL}Logoff{NL}{NL}")
    session.close()


def _disable(session: CliSession, _args: list[str]) -> None:
    session.state.mode = Mode.USER
    session.show_prompt()


def _curpriv(session: CliSession, _args: list[str]) -> None:
    level = "15" if session.state.mode is Mode.PRIV else "1"
    mode = "P_PRIV" if level == "15" else "P_UNPR"
    text = f"Username : {session.state.username}{NL}Current privilege level : {level}"
    session.emit(f"{text}{NL}Current Mode/s : {mode}")


def _terminal(session: CliSession, args: list[str]) -> None:
    if len(args) == 2 and words_match(args[:1], ["pager"]) and args[1].isdigit():
        session.state.pager_override = int(args[1])
    elif args[:1] and words_match(args[:1], ["pager"]) and args[1:2] == ["lines"]:
        session.state.pager_override = int(args[2]) if args[2:3] and args[2].isdigit() else 24
    elif not (len(args) == 2 and words_match(args[:1], ["width"]) and args[1].isdigit()):
        error(session)
        return
    session.show_prompt()


def _show_version(session: CliSession, _args: list[str]) -> None:
    session.state.hung = session.device.faults.no_prompt  # the output comes, the prompt never
    session.emit(render.show_version(session.device, session.state.context))


# -- privileged mode ---------------------------------------------------------------------------
def _show_running(session: CliSession, args: list[str]) -> None:
    text = render.config_text(session.device, session.state.context, startup=False)
    if len(args) == 1 and words_match(args, ["all"]):
        text = extras.running_all(session)
    elif args:
        text = _filter_sections(text, args)
    session.emit(hostile.padded(text, NL) if session.device.faults.huge_output else text)


def _filter_sections(text: str, args: list[str]) -> str:
    """`show running-config policy-map`: only the top-level blocks starting with those words."""
    out: list[str] = []
    keep = False
    for line in text.split(NL):
        if line and not line.startswith(" "):
            keep = words_match(args, line.split()[: len(args)]) or line.split()[: len(args)] == args
        if keep:
            out.append(line)
    return NL.join(out)


def _show_startup(session: CliSession, _args: list[str]) -> None:
    session.emit(render.config_text(session.device, session.state.context, startup=True))


def _write_terminal(session: CliSession, _args: list[str]) -> None:
    text = render.config_text(session.device, session.state.context, startup=False)
    if session.device.faults.huge_output:
        text = hostile.padded(text, NL)
    session.emit(f"Building configuration...{NL}{text}{NL}[OK]")


def _write_memory(session: CliSession, args: list[str]) -> None:
    device = session.device
    if args[:1] and words_match(args[:1], ["all"]):
        _write_memory_all(session, noconfirm="/noconfirm" in args[1:])
        return
    if args:
        error(session)
        return
    if device.faults.write_fails:
        session.emit(
            f"Building configuration...{NL}"
            f"%Error writing disk0:/.private/startup-config (No space left on device){NL}"
            "Error executing command [FAILED]"
        )
        return
    device.save(session.state.context)
    session.emit(render.write_memory(device, session.state.context))
    if device.faults.replication_after_save:  # printed right after the prompt, as captured
        session.write(
            f"Beginning configuration replication: Sending to mate.{NL}"
            f"End Configuration Replication to mate{NL}"
        )


def _write_memory_all(session: CliSession, *, noconfirm: bool) -> None:
    device = session.device
    if not device.multi_context or session.state.context != SYSTEM:
        error(session)
        return

    def save_all(answer: str) -> None:
        if answer.strip().lower() not in ("", "y", "yes"):
            session.show_prompt()
            return
        names = list(device.contexts)
        for name in names:
            device.save(name)
        lines = [f"Saving context :  {name:>12} : ({i:03d}/{len(names):03d} Contexts saved)"
                 for i, name in enumerate(names, 1)]  # fmt: skip
        session.emit(NL.join(["Building configuration...", *lines, "[OK]"]))

    if noconfirm:
        save_all("y")
    else:
        session.ask(
            "Do you want to save the configuration of all the contexts? [confirm]", save_all
        )


def _configure(session: CliSession, args: list[str]) -> None:
    if not (args and words_match(args[:1], ["terminal"])):
        error(session)
        return
    session.state.mode = Mode.CONFIG
    session.state.path = []
    session.device.counters.config_sessions += 1
    if session.device.role_in(session.state.context) == "standby":
        session.write(STANDBY_WARNING + NL)
    session.show_prompt()
    if session.device.reporting_prompt and not session.device.reporting_asked:
        ask_reporting(session)


def _show_failover(session: CliSession, _args: list[str]) -> None:
    session.emit(render.show_failover(session.device))


def _show_context(session: CliSession, _args: list[str]) -> None:
    if not session.device.multi_context or session.state.context != SYSTEM:
        error(session)
        return
    session.emit(render.show_context(session.device))


def _changeto(session: CliSession, args: list[str]) -> None:
    device = session.device
    if not device.multi_context:
        error(session)
        return
    if args[:1] and words_match(args[:1], ["system"]):
        target = SYSTEM
    elif len(args) == 2 and words_match(args[:1], ["context"]):
        target = args[1]
    else:
        error(session)
        return
    if target not in device.contexts:
        session.emit("ERROR: Context hasn't been configured")
        return
    if target == device.faults.changeto_refused:  # the wording of unicon's ASA mock data
        session.emit(f"ERROR: '{target}' is not valid")
        return
    session.state.context = target
    session.state.pager_override = None  # the pager setting is per context on the device
    session.show_prompt()


def _show_bootvar(session: CliSession, _args: list[str]) -> None:
    session.emit(render.show_bootvar(session.device))


def _reload(session: CliSession, args: list[str]) -> None:
    device = session.device
    if device.multi_context and session.state.context != SYSTEM:
        error(session)
    elif not args:
        reloads.ask_save_then(session, lambda: reloads.confirm_reload(session, None))
    elif words_match(args[:1], ["cancel"]) and session.family is Family.MPF:
        reloads.reload_cancel(session)
    elif len(args) == 2 and words_match(args[:1], ["in"]) and args[1].isdigit():
        if session.family is not Family.MPF:
            error(session)
            return
        reloads.ask_save_then(session, lambda: reloads.confirm_reload(session, int(args[1])))
    else:
        error(session)


_ALL = frozenset(Family)
_MPF = frozenset({Family.MPF})
_PIX = frozenset({Family.PIX_FIXUP, Family.PIX_MAILHOST})
_SHOW_RUN = frozenset({Family.PIX_FIXUP, Family.MPF})
_USER_COMMANDS: list[tuple[list[str], Handler, frozenset[Family]]] = [
    (["enable"], _enable, _ALL),
    (["exit"], _logout, _ALL),
    (["quit"], _logout, _ALL),
    (["logout"], _logout, _ALL),
    (["show", "curpriv"], _curpriv, _MPF),
    (["show", "version"], _show_version, _ALL),
    (["terminal"], _terminal, _MPF),
]
_PRIV_COMMANDS: list[tuple[list[str], Handler, frozenset[Family]]] = [
    *_USER_COMMANDS,
    (["disable"], _disable, _ALL),
    (["show", "running-config"], _show_running, _SHOW_RUN),
    (["show", "startup-config"], _show_startup, _MPF),  # PIX <= 6.3: `show configure`
    (["show", "configure"], _show_startup, _PIX),
    (["write", "terminal"], _write_terminal, _ALL),
    (["write", "memory"], _write_memory, _ALL),
    (["copy", "running-config", "startup-config"], _write_memory, _MPF),
    (["configure"], _configure, _ALL),
    (["show", "failover"], _show_failover, _ALL),
    (["show", "context"], _show_context, _MPF),
    (["changeto"], _changeto, _MPF),
    (["show", "bootvar"], _show_bootvar, _MPF),
    (["show", "reload"], reloads.show_reload, _MPF),
    (["reload"], _reload, _ALL),
    (["show", "clock"], extras.show_clock, _ALL),
    (["show", "mode"], extras.show_mode, _MPF),
    (["dir"], extras.show_dir, _MPF),
    (["more", "system:running-config"], extras.more_running, _MPF),
]

__all__ = ["SINGLE", "error", "handle_line", "run_exec", "words_match"]
