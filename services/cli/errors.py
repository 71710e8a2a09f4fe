"""Exit codes and the one exception the commands raise to end with a clear message.

A command explains what went wrong and what to do about it in one or two sentences on stderr, and
the exit code says which kind of problem it was, so scripts can tell a typo from an outage.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from shared.bootstrap import check_shared
from shared.settings import ConfigurationError, Settings

OK = 0
FAILED = 1  # the command ran and did not succeed (unknown token id, demo outcome missing)
USAGE = 2  # argparse's own code: a wrong command line
CONFIG = 3  # the configuration cannot run this command (memory:// for one service, bad registry)
UNAVAILABLE = 4  # a dependency did not answer (RabbitMQ, MongoDB, a running service)


class CliError(Exception):
    """End the command with ``message`` on stderr and ``code`` as the exit status."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def where(url: str) -> str:
    """Host and port of a URL without its credentials, for messages."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port}" if parts.port else f"{parts.scheme}://{host}"


def require_shared_store(settings: Settings, command: str) -> None:
    """Admin commands act on the store of a running system; ``memory://`` has none to share."""
    _require(settings, "store", command)


def require_shared_bus(settings: Settings, command: str) -> None:
    """The dead-letter commands act on the running system's broker; ``memory://`` has none to share."""
    _require(settings, "bus", command)


def _require(settings: Settings, part: Literal["bus", "store"], command: str) -> None:
    try:
        check_shared(settings, part, command)
    except ConfigurationError as exc:
        raise CliError(str(exc), CONFIG) from None
