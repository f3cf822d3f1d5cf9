"""pixfix: audit and fix SMTP inspection (Mailguard, KB 320027) on PIX, ASA and FWSM fleets."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pixfix")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
