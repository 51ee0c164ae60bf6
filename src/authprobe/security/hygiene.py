"""Checks of what a run's own traffic reveals: cookies, caching, web storage, locked hooks.

Each check is a small pure function returning the problems it sees (empty when clean),
so the e2e tests and the tests that plant each problem judge with the same code. A
problem names what is wrong and why it matters, never a secret's value.
"""

from __future__ import annotations

import re
import secrets
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from playwright.sync_api import APIRequestContext
from pydantic import SecretStr

from authprobe.profile import Hooks
from authprobe.scan import MIN_SECRET_LENGTH, secret_forms
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.httpops import send

REFUSED_STATUSES = frozenset({401, 403, 404})
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_AUTHISH_KEY = re.compile(r"token|session|auth|jwt|bearer|credential", re.IGNORECASE)
_MIN_PATH_TOKEN = 16


def cookie_problems(cookie: Mapping[str, Any], https: bool) -> list[str]:
    """What is wrong with a session cookie's flags (a Playwright `context.cookies()` entry)."""
    name = cookie.get("name", "?")
    problems = []
    if not cookie.get("httpOnly"):
        problems.append(f"cookie {name} is not HttpOnly: any script on the page (an XSS) can read "
                        "the session and send it away")
    same_site = str(cookie.get("sameSite") or "None")
    if same_site not in ("Lax", "Strict"):
        problems.append(f"cookie {name} is SameSite={same_site}: other sites' requests carry the "
                        "session (cross-site request forgery)")
    if https and not cookie.get("secure"):
        problems.append(f"cookie {name} is not Secure on an https target: it is also sent over "
                        "plain http, where anyone on the network reads it")
    return problems


def cache_problems(headers: Mapping[str, str]) -> list[str]:
    """Why a response with these (lower-case) headers may be kept by a browser or proxy cache."""
    cache_control = headers.get("cache-control")
    if cache_control is None:
        return ["no Cache-Control header: the browser may keep the page, and the back button or "
                "the next user of a shared device shows it after sign-out"]
    directives = {part.strip().split("=", 1)[0].lower() for part in cache_control.split(",")}
    if "no-store" not in directives:
        return [f"Cache-Control is {cache_control!r}, without no-store: the page is kept on disk, "
                "and the next user of a shared device sees it after sign-out"]
    return []


def storage_problems(storage: Mapping[str, str], tokens: Iterable[str]) -> list[str]:
    """Web-storage entries (`local:KEY`/`session:KEY` → value) that hold an auth token.

    A token in storage is readable by every script on the origin, unlike an HttpOnly
    cookie; entries are named by key only, never by value.
    """
    values = [token for token in tokens if token]
    problems = []
    for key, value in storage.items():
        stored_name = key.split(":", 1)[-1]
        if any(token in value for token in values):
            why = "holds the session cookie's value"
        elif _JWT.search(value):
            why = "holds a JWT"
        elif _AUTHISH_KEY.search(stored_name) and value:
            why = "is named like an auth token"
        else:
            continue
        problems.append(f"web storage {key} {why}: any script on the page (an XSS) can read it")
    return problems


def hook_lock_problems(statuses: Mapping[tuple[str, str], int]) -> list[str]:
    """Hook calls (`(hook, how)` → status) that were not refused with 401, 403 or 404."""
    return [
        f"test hook {hook} answered {status} to a call {how}: anyone who can reach the target "
        "can expire sessions, age tokens or rotate keys (expected 401, 403 or 404)"
        for (hook, how), status in sorted(statuses.items())
        if status not in REFUSED_STATUSES
    ]


def call_hooks_unlocked(
    request: APIRequestContext, hooks: Hooks, values: Mapping[str, Any], timeout_s: float
) -> dict[tuple[str, str], int]:
    """Call every hook of the profile without its token and with a wrong one; their statuses.

    `request` must carry no cookies and no token of the run: the point is what a stranger gets.
    """
    wrong = SecretStr(secrets.token_urlsafe(24))
    return call_hooks(request, hooks, values, timeout_s,
                      {"without a token": {}, "with a wrong token": {hooks.token_header: wrong}})


def call_hooks(request: APIRequestContext, hooks: Hooks, values: Mapping[str, Any], timeout_s: float,
               ways: Mapping[str, dict[str, SecretStr]]) -> dict[tuple[str, str], int]:
    """Call every hook of the profile once per way (its description → headers); the statuses."""
    statuses: dict[tuple[str, str], int] = {}
    for name, operation in sorted(hooks.all().items()):
        for how, headers in ways.items():
            response = send(request, operation, dict(values), headers, timeout_s=timeout_s)
            statuses[(name, how)] = response.status
    return statuses


def link_tokens(link: str) -> list[str]:
    """The parts of a mailed one-time link that can be its token: query values, long path parts."""
    parts = urlsplit(link)
    found = [value for _, value in parse_qsl(parts.query) if value]
    found += [unquote(part) for part in parts.path.split("/") if len(part) >= _MIN_PATH_TOKEN]
    return found


def run_secrets(settings: Settings, target: Target | None) -> dict[str, SecretStr]:
    """The run's long-lived secrets by name: the settings' and the ones the target was started with.

    A sandbox the run started has tokens the settings never saw; they are as secret.
    """
    found = settings.secrets()
    if target is None:
        return found
    for name, secret in (("E2E_ADMIN_TOKEN", target.admin_token),
                         ("E2E_HOOK_TOKEN", target.hook_token),
                         ("E2E_ADMIN_PASSWORD", target.admin_password),
                         ("E2E_IMAP_PASSWORD", target.imap_password),
                         ("E2E_MAIL_API_PASSWORD", target.mail_api_password),
                         ("E2E_SMS_AUTH_TOKEN", target.sms_auth_token),
                         ("E2E_IDP_ADMIN_TOKEN", target.idp_admin_token),
                         ("E2E_IDP_HOOK_TOKEN", target.idp_hook_token)):
        if secret is None or not secret.get_secret_value():
            continue
        known = found.get(name)
        if known is None:
            found[name] = secret
        elif known.get_secret_value() != secret.get_secret_value():
            found[f"{name} (target)"] = secret
    return found


def redact(text: str, secrets_by_name: Mapping[str, SecretStr]) -> str:
    """`text` with every form of each secret replaced by `[NAME]` (for reports and logs).

    Playwright's own error messages list request headers, an admin token included.
    """
    for name, secret in secrets_by_name.items():
        value = secret.get_secret_value()
        if len(value) < MIN_SECRET_LENGTH:
            continue
        for form in sorted(secret_forms(value), key=len, reverse=True):
            shown = form.decode("utf-8", "replace")
            if len(shown) >= MIN_SECRET_LENGTH - 2:
                text = text.replace(shown, f"[{name}]")
    return text


def contains_secret(text: str, secrets_by_name: Mapping[str, SecretStr]) -> bool:
    return redact(text, secrets_by_name) != text


def missing_no_store(pages: Sequence[tuple[str, Mapping[str, str]]]) -> list[str]:
    """`cache_problems` for several `(path, headers)` pairs, one line per page."""
    return [f"{path}: {problem}" for path, headers in pages for problem in cache_problems(headers)]


class RedactingStream:
    """A text stream that writes through `redact`: the last line of defence for everything
    pytest itself prints (tracebacks with --full-trace, INTERNALERROR from a crashing hook,
    the KeyboardInterrupt report, warnings and live logs), whatever printed the secret.

    Each write is redacted as it comes (pytest writes a message in one call), so progress
    dots still appear as the tests run.
    """

    def __init__(self, inner: Any, secrets_by_name: Mapping[str, SecretStr]) -> None:
        self._inner = inner
        self._secrets = secrets_by_name  # a live mapping: the run adds its target's secrets

    def write(self, text: str) -> int:
        self._inner.write(redact(text, self._secrets) if self._secrets else text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def install_redacting_excepthook(secrets_by_name: Mapping[str, SecretStr]) -> None:
    """A crash that escapes pytest (an exception in a session-finish hook) prints its
    traceback redacted, as pytest's own reports are."""

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        if sys.__stderr__ is not None:
            sys.__stderr__.write(redact(text, secrets_by_name))

    sys.excepthook = hook
