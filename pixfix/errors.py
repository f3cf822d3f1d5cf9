"""The one exception tree of pixfix; each class carries the exit code the CLI returns for it.

    PixfixError                 (3: something could not be done)
    ├── InputError              (2: bad input or usage, always names the file/host/field)
    │   ├── InventoryError      (an inventory file or one of its hosts is wrong)
    │   ├── TemplateError       (a jinja2/TextFSM template is wrong)
    │   └── LabError            (the lab cannot start or stop as asked)
    └── DeviceError             (3: one device could not be reached or understood)
        ├── ConnectError        (refused, timed out, no banner, host key)
        ├── AuthError           (login or enable refused)
        ├── CollectError        (a command failed or its output was cut off)
        └── ParseError          (the text is not a configuration we can recognise)

Device errors end as that device's outcome; input errors stop the command with exit code 2.
"""


class PixfixError(Exception):
    """Base of every error pixfix raises on purpose."""

    exit_code = 3


class InputError(PixfixError):
    """Bad input or usage: a one-line message naming the file, host or field."""

    exit_code = 2


class InventoryError(InputError):
    """An inventory file or one of its hosts is wrong."""


class TemplateError(InputError):
    """A template cannot be loaded or rendered."""


class LabError(InputError):
    """The simulated fleet cannot be started, stopped or read."""


class DeviceError(PixfixError):
    """One device could not be reached, logged into, read or understood."""


class ConnectError(DeviceError):
    """The TCP/SSH/telnet connection could not be established or was lost."""


class AuthError(DeviceError):
    """Login or enable was refused."""


class CollectError(DeviceError):
    """A command failed, timed out, or its output was incomplete."""


class ParseError(DeviceError):
    """The collected text is not a configuration pixfix can recognise."""
