"""The one exception tree of pixfix; each class carries the exit code the CLI returns for it.

    PixfixError                 (3: something could not be done)
    ├── InputError              (2: bad input or usage, always names the file/host/field)
    │   ├── InventoryError      (an inventory file or one of its hosts is wrong)
    │   ├── TemplateError       (a jinja2/TextFSM template is wrong)
    │   └── LabError            (the lab cannot start or stop as asked)
    ├── PlanError               (3: a device's remediation cannot be planned; no device involved)
    │   ├── GuardError          (a rendered line is outside the remediation grammar)
    │   └── PredictError        (the device would refuse a command, or it would not do its job)
    └── DeviceError             (3: one device could not be reached, understood or changed)
        ├── ConnectError        (refused, timed out, no banner, host key)
        ├── AuthError           (login or enable refused)
        ├── CollectError        (a command failed or its output was cut off)
        │   ├── ReplyTooLarge   (a reply grew past the transport's cap)
        │   └── ContextRefused  (`changeto context X` was refused: that context's error)
        ├── ParseError          (the text is not a configuration we can recognise)
        │   └── CutOffError     (a configuration without its end marker: cut off)
        ├── DeviceBusy          (another run holds the device's lock)
        └── ChangeError         (a step of a change failed on the device)
            ├── LineRefused     (a configuration line was answered with an error)
            ├── FailedOver      (the unit went standby during the change)
            ├── TimerError      (`reload in` not armed, or `reload cancel` did not cancel)
            ├── SaveFailed      (`write memory` did not say [OK])
            ├── ReloadStopped   (the reload asked what pixfix cannot answer, or did not start)
            └── VerifyFailed    (the configuration after the change is not what it should be)

Device and plan errors end as that device's outcome; input errors stop the command with exit
code 2.
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


class CutOffError(ParseError):
    """A configuration without its end marker (`Cryptochecksum:` or `: end`): cut off."""


class ReplyTooLarge(CollectError):
    """A reply grew past the transport's cap (`pixfix.transport.limits.MAX_REPLY`)."""


class ContextRefused(CollectError):
    """`changeto context X` was refused: that context cannot be read, the others still can."""


class DeviceBusy(DeviceError):
    """Another apply or rollback holds the device (its address or serial): nothing was sent."""


class ChangeError(DeviceError):
    """A step of a change (a line, the timer, the save, the verification) failed."""


class LineRefused(ChangeError):
    """The device answered a configuration line with an error."""


class FailedOver(ChangeError):
    """The unit went standby during the change (prompt `/stby`, or the standby warning)."""


class TimerError(ChangeError):
    """`reload in` could not be armed, or `reload cancel` did not cancel it."""


class SaveFailed(ChangeError):
    """`write memory` did not succeed."""


class ReloadStopped(ChangeError):
    """The reload asked a question pixfix has no answer for, or the prompt came back: it did
    not happen (the change before it is saved and verified)."""


class VerifyFailed(ChangeError):
    """The configuration after the change is not what it should be."""


class PlanError(PixfixError):
    """One device's remediation cannot be planned safely (found at plan time, no device)."""


class GuardError(PlanError):
    """A rendered line is outside the remediation grammar: the device's plan fails."""


class PredictError(PlanError):
    """A command the device would refuse, or that would not do what the plan says."""
