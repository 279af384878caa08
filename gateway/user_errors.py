"""What counts as a user error, and how a failure of user-triggered work is logged.

DESIGN: a user error — bad data, an unknown entity or service, a pin not on the board, a driver
that said no or did not answer — is the user's or the device's doing: one line at WARNING.
Anything else is a bug and is logged at ERROR with its traceback, so that it is seen (and fails
the tests). Every place that runs work a user asked for (a command, a bridge request, an
automation's action) decides with the same tuple.
"""

from __future__ import annotations

import logging

import voluptuous as vol

from hardware.errors import HardwareError

from .exceptions import GatewayError

__all__ = ["USER_ERRORS", "log_failure"]

USER_ERRORS: tuple[type[Exception], ...] = (
    vol.Invalid,
    GatewayError,
    HardwareError,
    TimeoutError,
    OSError,
)


def log_failure(logger: logging.Logger, err: BaseException, message: str, *args: object) -> None:
    """Log that `message % args` failed because of `err`: a user error as one WARNING line
    (`message: err`), anything else at ERROR with `err`'s traceback."""
    if isinstance(err, USER_ERRORS):
        logger.warning(f"{message}: %s", *args, str(err) or type(err).__name__)
    else:
        logger.error(message, *args, exc_info=err)
