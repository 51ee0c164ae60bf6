"""The errors authprobe raises on purpose, so callers and the CLI can tell them from bugs."""

from __future__ import annotations

__all__ = ["AuthprobeError", "ConfigError", "MailConfigError", "MailContentError", "WaitTimeout"]


class AuthprobeError(Exception):
    """Base of every error whose message is meant for the user, not a traceback."""


class ConfigError(AuthprobeError):
    """The run is configured wrongly; the message says which setting to fix."""


class MailConfigError(ConfigError):
    """The IMAP server cannot be reached or refuses the configured account."""


class MailContentError(AuthprobeError):
    """A mail arrived but lacks what the test needs from it (a link, a code)."""


class WaitTimeout(AuthprobeError, TimeoutError):
    """Something outside the DOM did not happen in time; the message shows what was last seen."""
