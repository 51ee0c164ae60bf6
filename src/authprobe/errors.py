"""Errors authprobe raises on purpose: each message is one sentence saying what to do."""

from __future__ import annotations


class AuthprobeError(Exception):
    """Base of every error authprobe raises deliberately (shown without a traceback)."""


class ConfigError(AuthprobeError):
    """The settings, the profile or the target's reachability is wrong; the run cannot start."""


class MailConfigError(ConfigError):
    """The IMAP server cannot be reached or refuses the configured login."""


class MailContentError(AuthprobeError):
    """A mail arrived but does not contain what the profile says it should."""


class WaitTimeout(AuthprobeError, TimeoutError):
    """Something outside the DOM did not reach the awaited state in time."""


class FlowError(AuthprobeError):
    """The app did something a flow cannot continue from (names the screen and the evidence)."""


class SessionProbeError(ConfigError):
    """The session endpoint does not answer the JSON the profile describes."""
