"""The anonymous error reporting question an ASA 8.4+/9.x asks at the first `configure terminal`.

It comes after the `(config)#` prompt, so a client that does not wait for it types its next
line as the answer.
"""

from __future__ import annotations

from pixfix.lab.cfgtree import add_line
from pixfix.lab.session import NL, CliSession

# As an ASA 8.4+/9.x prints it after the first `(config)#` prompt (tests/fixtures/real/
# error_reporting). What each answer writes into the configuration is not confirmed on a real
# unit: Y's line is captured; N's and A's are the lines public configurations carry.
REPORTING_NOTICE = NL.join(
    [
        "",
        "",
        "***************************** NOTICE *****************************",
        "",
        "Help to improve the ASA platform by enabling anonymous reporting,",
        "which allows Cisco to securely receive minimal error and health",
        "information from the device. To learn more about this feature,",
        "please visit: http://www.cisco.com/go/smartcall",
        "",
        "Would you like to enable anonymous error reporting to help improve",
        "the product? [Y]es, [N]o, [A]sk later: ",
    ]
)
REPORTING_ANSWERS = {
    "y": (
        'Enabling anonymous reporting.\r\nAdding "call-home reporting anonymous" to running '
        "configuration...\r\n\r\nPlease remember to save your configuration.",
        "call-home reporting anonymous",
    ),
    "n": (
        "In the future, if you would like to enable this feature,\r\nissue the command "
        '"call-home reporting anonymous".\r\n\r\nPlease remember to save your configuration.',
        "no call-home reporting anonymous",
    ),
    "a": ("", "call-home reporting anonymous prompt 2"),
}


def ask_reporting(session: CliSession) -> None:
    """Print the notice and the question after the config prompt; the answer writes a line."""
    device = session.device
    device.reporting_asked = True

    def answer(text: str) -> None:
        said, line = REPORTING_ANSWERS.get(text.strip()[:1].lower(), ("", ""))
        if not line:
            session.ask(NL + REPORTING_NOTICE.rsplit(NL, 1)[-1], answer)
            return
        ctx = device.contexts[session.state.context]
        ctx.running = add_line(ctx.running, [], line)
        session.write(NL + (said + NL + NL if said else ""))
        session.show_prompt()

    session.write(REPORTING_NOTICE)
    session.ask("", answer)
