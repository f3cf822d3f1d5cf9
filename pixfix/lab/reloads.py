"""`reload`, `reload in N`, `reload cancel` and `show reload` on a simulated unit: the save
question (each form real units ask), the confirmation, and the timer the server runs."""

from __future__ import annotations

import time
from collections.abc import Callable

from pixfix.lab.device import SYSTEM
from pixfix.lab.session import NL, CliSession


def show_reload(session: CliSession, _args: list[str]) -> None:
    left = session.device.seconds_to_reload()
    if left is None:
        session.emit("No reload is scheduled.")
        return
    minutes = left / session.device.minute_seconds
    whole = int(minutes)
    seconds = int((minutes - whole) * 60)
    at = time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime(time.time() + minutes * 60))
    session.emit(f"Reload scheduled for {at} (in {whole} minutes and {seconds} seconds)")


def ask_save_then(session: CliSession, then: Callable[[], None]) -> None:
    device = session.device

    def answer(text: str) -> None:
        if text.strip().lower().startswith("y"):
            for name in device.contexts:
                device.save(name)
        then()

    modified = [name for name, ctx in device.contexts.items() if ctx.modified]
    if device.multi_context and any(name != SYSTEM for name in modified):
        # the form of unicon's ASA mock data (a multiple-context unit; unconfirmed on a unit)
        first = next(name for name in modified if name != SYSTEM)
        question = f"{first} config has been modified. Save? [Y]es/[N]o/[S]ave all/[C]ancel: "
        session.ask(question, answer)
    elif modified:
        session.ask("System config has been modified. Save? [Y]es/[N]o: ", answer)
    else:
        then()


def confirm_reload(session: CliSession, minutes: int | None) -> None:
    device = session.device

    def answer(text: str) -> None:
        if text.strip().lower() not in ("", "y", "yes"):
            session.show_prompt()
            return
        if minutes is None:
            session.write(f"{NL}***{NL}*** --- START GRACEFUL SHUTDOWN ---{NL}***{NL}")
            device.hooks.reload_now()
            return
        delay = minutes * device.minute_seconds
        device.reload_at = time.monotonic() + delay
        device.hooks.schedule_reload(delay)
        at = time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime(time.time() + minutes * 60))
        session.emit(f"Reload scheduled for {at} (in {minutes} minutes)")

    if device.faults.reload_question is not None and minutes is None:
        session.ask(device.faults.reload_question, lambda _text: session.show_prompt())
        return
    session.ask("Proceed with reload? [confirm]", answer)


def reload_cancel(session: CliSession) -> None:
    device = session.device
    if device.reload_at is None:
        session.emit("%No reload is scheduled.")
        return
    device.reload_at = None
    device.hooks.cancel_reload()
    session.emit(f"{NL}***{NL}*** --- SHUTDOWN ABORTED ---{NL}***")
