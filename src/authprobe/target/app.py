"""The run's target: an already-running app (E2E_BASE_URL) or the embedded sandbox.

Also the preflight: within seconds, prove the target, its session endpoint and
the mailbox answer as configured, or stop with one sentence naming the setting.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Literal
from urllib.parse import quote, urlsplit

from pydantic import SecretStr

from authprobe.errors import AuthprobeError, ConfigError, DeadlineExceeded
from authprobe.oob.catcher import CatcherInbox
from authprobe.oob.mail import Inbox, MailSource
from authprobe.oob.sms import TWILIO_API, Phone
from authprobe.oracle.session import parse_roles_answer, parse_session_answer
from authprobe.profile import HttpOperation, TargetProfile
from authprobe.settings import Settings
from authprobe.target import httpget
from authprobe.target.httpops import fill
from authprobe.tls import Trust, certificate_problem

SANDBOX_READY_TIMEOUT_S = 30.0


@dataclass
class Target:
    base_url: str
    imap_host: str
    imap_port: int
    imap_user: str
    imap_password: SecretStr
    imap_ssl: bool
    mail_address: str
    admin_token: SecretStr | None
    hook_token: SecretStr | None
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    command_env: dict[str, str] = field(default_factory=dict)  # for [commands] (built-in targets)
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    # the SMS gateway: a started target's own sink, else E2E_SMS_* (see `phone`)
    sms_api_url: str | None = None
    sms_account_sid: str | None = None
    sms_auth_token: SecretStr | None = None
    # the identity provider of [sso]: a started target's own, else E2E_IDP_*
    idp_url: str | None = None
    idp_admin_token: SecretStr | None = None
    idp_hook_token: SecretStr | None = None
    imap_timeout: float = 30.0  # E2E_IMAP_TIMEOUT
    trust: Trust = field(default_factory=Trust)  # E2E_CA_BUNDLE, E2E_IGNORE_HTTPS_ERRORS
    # [mail] source: where the mail is read; a catcher's API (E2E_MAIL_API_*) or one the run started
    mail_source: Literal["imap", "maildev"] = "imap"
    mail_api_url: str | None = None
    mail_api_user: str | None = None
    mail_api_password: SecretStr | None = None
    http_timeout: float = 5.0  # E2E_HTTP_TIMEOUT: each call to the catcher's API
    stop_also: list[Callable[[], None]] = field(default_factory=list, repr=False)  # e.g. its MailDev

    def tls(self) -> ssl.SSLContext:
        """The context every Python HTTPS call to the target uses (see src/authprobe/tls.py)."""
        return self.trust.ssl_context()

    def inbox(self, imap_timeout: float | None = None) -> MailSource:
        """The test inbox of [mail] source; `imap_timeout` lowers E2E_IMAP_TIMEOUT (or, for a
        catcher, E2E_HTTP_TIMEOUT) for a caller with a deadline."""
        if self.mail_source == "maildev":
            if self.mail_api_url is None:
                raise ConfigError("The profile's [mail] source is \"maildev\": set E2E_MAIL_API_URL to "
                                  "MailDev's web address.")
            limit = self.http_timeout if imap_timeout is None else min(imap_timeout, self.http_timeout)
            return CatcherInbox(self.mail_api_url, address_base=self.mail_address,
                                user=self.mail_api_user, password=self.mail_api_password,
                                http_timeout=limit, trust=self.trust)
        limit = self.imap_timeout if imap_timeout is None else min(imap_timeout, self.imap_timeout)
        return Inbox(self.imap_host, self.imap_port, self.imap_user, self.imap_password,
                     ssl=self.imap_ssl, address_base=self.mail_address, imap_timeout=limit,
                     trust=self.trust)

    def phone(self, profile: TargetProfile, settings: Settings) -> Phone:
        """The test phone on the gateway of the profile's [sms]; one sentence when unset."""
        sms = profile.sms
        if sms is None:
            raise ConfigError(f"The profile of {profile.name} has no [sms] section, so it sends "
                              "no text messages a test could read.")
        missing = [name for name, value in (("E2E_SMS_ACCOUNT_SID", self.sms_account_sid),
                                            ("E2E_SMS_AUTH_TOKEN", self.sms_auth_token)) if not value]
        if missing:
            raise ConfigError(f"The profile's [sms] needs the gateway account: set {', '.join(missing)}.")
        assert self.sms_account_sid and self.sms_auth_token
        url = self.sms_api_url or sms.api_url or TWILIO_API
        return Phone(url, self.sms_account_sid, self.sms_auth_token,
                     prefix=settings.phone_prefix or sms.number_prefix,
                     http_timeout=settings.http_timeout, trust=self.trust)

    def stop(self) -> None:
        """End a target this run started (SIGTERM, SIGKILL after 10 s) and remove its temp
        directory, also when it had already ended by itself."""
        from authprobe.target.child import stop

        if self.process is not None:
            stop(self.process)
        while self.stop_also:
            self.stop_also.pop()()


def _read_ready_line(process: subprocess.Popen[str], timeout_s: float) -> dict[str, object]:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        line = process.stdout.readline()
        if not line:
            break
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(answer, dict) and answer.get("ready"):
            return answer
    process.kill()
    process.wait()
    stderr = process.stderr.read()[-800:] if process.stderr else ""
    raise ConfigError(
        f"The sandbox did not start within {timeout_s:.0f} s; run `authprobe sandbox` to see why. "
        f"Its last output: {stderr.strip()!r}"
    )


def _drain(process: subprocess.Popen[str]) -> None:
    """Keep reading what the target prints after its ready line (request logs, warnings).

    Nobody reads those pipes otherwise: once the 64 KiB pipe buffer is full the target
    blocks on its next log line and stops answering in the middle of a run."""
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            threading.Thread(target=_discard, args=(stream,), daemon=True,
                             name="authprobe-target-output").start()


def _discard(stream: IO[str]) -> None:
    with contextlib.suppress(OSError, ValueError):
        for _ in stream:
            pass


def _string_map(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def start_sandbox(settings: Settings, extra_args: list[str] | None = None,
                  module: str = "authprobe.sandbox") -> Target:
    """Start `python -m MODULE` (a built-in target) in test mode, secrets passed by environment.

    Its database is a temp file in a directory `Target.stop()` removes, unless `extra_args`
    name a `--db` (kept). On Linux it is stopped if this process dies first, however it
    dies; call this from the main thread (or one that outlives the target). See src/authprobe/target/child.py.
    """
    from authprobe.target.child import launch, stop

    admin = settings.admin_token or SecretStr(secrets.token_urlsafe(24))
    hook = settings.hook_token or SecretStr(secrets.token_urlsafe(24))
    admin_password = settings.admin_password or SecretStr(secrets.token_urlsafe(18))
    imap_password = SecretStr(secrets.token_urlsafe(18))
    sms_token = SecretStr(secrets.token_urlsafe(18))
    idp_admin = settings.idp_admin_token or SecretStr(secrets.token_urlsafe(24))
    idp_hook = settings.idp_hook_token or SecretStr(secrets.token_urlsafe(24))
    env = {
        **os.environ,
        "SANDBOX_ADMIN_TOKEN": admin.get_secret_value(),
        "SANDBOX_HOOK_TOKEN": hook.get_secret_value(),
        "SANDBOX_ADMIN_PASSWORD": admin_password.get_secret_value(),
        "SANDBOX_IMAP_PASSWORD": imap_password.get_secret_value(),
        "SANDBOX_SMS_AUTH_TOKEN": sms_token.get_secret_value(),
        "SANDBOX_IDP_ADMIN_TOKEN": idp_admin.get_secret_value(),
        "SANDBOX_IDP_HOOK_TOKEN": idp_hook.get_secret_value(),
        **({"SANDBOX_ADMIN_EMAIL": settings.admin_email} if settings.admin_email else {}),
    }
    command = [sys.executable, "-m", module, "--test-mode", "--port", "0",
               "--smtp-port", "0", "--imap-port", "0", *(extra_args or [])]
    process = launch(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        ready = _read_ready_line(process, SANDBOX_READY_TIMEOUT_S)
    except BaseException:
        stop(process)  # also removes its temp directory
        raise
    _drain(process)
    return Target(
        base_url=str(ready["base_url"]),
        imap_host=str(ready["imap_host"]),
        imap_port=int(str(ready["imap_port"])),
        imap_user=str(ready["imap_user"]),
        imap_password=imap_password,
        imap_ssl=False,
        mail_address=str(ready["mail_address"]),
        admin_token=admin,
        hook_token=hook,
        admin_email=str(ready["admin_email"]) if ready.get("admin_email") else None,
        admin_password=admin_password if ready.get("admin_email") else None,
        command_env=_string_map(ready.get("command_env")),
        process=process,
        sms_api_url=str(ready["sms_api_url"]) if ready.get("sms_api_url") else None,
        sms_account_sid=str(ready["sms_account_sid"]) if ready.get("sms_account_sid") else None,
        sms_auth_token=sms_token if ready.get("sms_account_sid") else None,
        idp_url=str(ready["idp_url"]) if ready.get("idp_url") else None,
        idp_admin_token=idp_admin if ready.get("idp_url") else None,
        idp_hook_token=idp_hook if ready.get("idp_url") else None,
        imap_timeout=settings.imap_timeout,
        trust=settings.trust(),
        http_timeout=settings.http_timeout,
    )


def configured_target(settings: Settings, mail_source: Literal["imap", "maildev"] = "imap") -> Target:
    """The target described by settings alone (E2E_BASE_URL and the mail settings of `mail_source`)."""
    assert settings.base_url is not None
    needed = (("E2E_MAIL_API_URL", settings.mail_api_url),) if mail_source == "maildev" else (
        ("E2E_IMAP_USER", settings.imap_user), ("E2E_IMAP_PASSWORD", settings.imap_password))
    missing = [name for name, value in (*needed, ("E2E_MAIL_ADDRESS", settings.mail_address)) if not value]
    if missing:
        raise ConfigError(
            f"E2E_BASE_URL is set, so the mailbox must be configured too: set {', '.join(missing)}."
        )
    assert settings.mail_address
    return Target(settings.base_url, settings.imap_host, settings.imap_port, settings.imap_user or "",
                  settings.imap_password or SecretStr(""), settings.imap_ssl, settings.mail_address,
                  settings.admin_token, settings.hook_token, settings.admin_email,
                  settings.admin_password, sms_api_url=settings.sms_api_url,
                  sms_account_sid=settings.sms_account_sid, sms_auth_token=settings.sms_auth_token,
                  idp_url=settings.idp_url, idp_admin_token=settings.idp_admin_token,
                  idp_hook_token=settings.idp_hook_token,
                  imap_timeout=settings.imap_timeout, trust=settings.trust(),
                  mail_source=mail_source, mail_api_url=settings.mail_api_url,
                  mail_api_user=settings.mail_api_user, mail_api_password=settings.mail_api_password,
                  http_timeout=settings.http_timeout)


def resolve_target(settings: Settings, profile: TargetProfile) -> Target:
    if settings.base_url is None:
        if profile.launch is None:
            raise ConfigError(
                f"E2E_BASE_URL is not set; set it to the URL of the {profile.name} target "
                "(only a profile with a [launch] section starts its target by itself)."
            )
        args = [*profile.launch.args, *shlex.split(settings.sandbox_args)]
        if profile.mail.source == "maildev":
            return _start_with_catcher(settings, args, profile.launch.module)
        return start_sandbox(settings, args, profile.launch.module)
    if settings.sandbox_args.strip():
        # a mutation run must never silently test some other app
        raise ConfigError(
            "E2E_SANDBOX_ARGS only applies to the sandbox the run starts; unset E2E_BASE_URL "
            "or E2E_SANDBOX_ARGS."
        )
    return configured_target(settings, profile.mail.source)


def _start_with_catcher(settings: Settings, args: list[str], module: str) -> Target:
    """A built-in target that sends its mail to MailDev over SMTP (`--smtp-relay`): the one at
    E2E_MAIL_API_URL (its SMTP port from its /config), else one started here for the run."""
    from authprobe.sandbox.maildev import start_maildev  # noqa: PLC0415 (only catcher runs start it)

    stops: list[Callable[[], None]] = []
    url, user, password = settings.mail_api_url, settings.mail_api_user, settings.mail_api_password
    if url is None:
        try:
            started = start_maildev()
        except AuthprobeError as exc:
            raise ConfigError(f"{str(exc).rstrip('.')}; or set E2E_MAIL_API_URL to a running "
                              "MailDev.") from None
        stops.append(started.stop)
        url, user, password = started.api_url, started.user, SecretStr(started.password)
        relay = started.smtp_relay
    else:
        with CatcherInbox(url, address_base="qa@preflight.invalid", user=user, password=password,
                          http_timeout=settings.http_timeout, trust=settings.trust(), push=False) as box:
            relay = f"{urlsplit(url).hostname}:{box.smtp_port}"
    try:
        target = start_sandbox(settings, [*args, "--smtp-relay", relay], module)
    except BaseException:
        for stop in stops:
            stop()
        raise
    target.stop_also.extend(stops)
    target.mail_source, target.mail_api_url = "maildev", url
    target.mail_api_user, target.mail_api_password = user, password
    return target


def preflight(target: Target, profile: TargetProfile, timeout_s: float) -> None:
    """Prove, within seconds, that the app, its session endpoint, the tokens and the mailbox
    answer as configured. Every HTTP exchange has one total deadline (a server that sends
    headers and then trickles its body is cut off, not waited for)."""
    url = target.base_url + profile.session_probe.url
    tls = target.tls()
    try:
        answer = httpget.get(url, timeout_s, tls=tls)
    except DeadlineExceeded as exc:
        raise ConfigError(f"The session endpoint is too slow: {exc}; check E2E_BASE_URL and "
                          "session_probe.url, or raise E2E_HTTP_TIMEOUT.") from None
    except (urllib.error.URLError, OSError) as exc:
        if (problem := certificate_problem(target.base_url, exc, target.trust)) is not None:
            raise ConfigError(problem) from None
        reason = getattr(exc, "reason", exc)
        raise ConfigError(
            f"Cannot reach the target at {target.base_url} ({reason}); check E2E_BASE_URL "
            "and that the app is running."
        ) from None
    parse_session_answer(profile.session_probe, answer.status, answer.content_type, answer.body, url)
    if profile.session_probe.roles_url is not None:
        url = target.base_url + profile.session_probe.roles_url
        answer = httpget.get(url, timeout_s, tls=tls)
        parse_roles_answer(profile.session_probe, answer.status, answer.content_type, answer.body, url)
    _check_tokens(target, profile, timeout_s)
    with target.inbox():
        pass


def answers(base_url: str, timeout_s: float = 2.0) -> bool:
    """Whether anything accepts a connection at the target's origin (is it still there?)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _check_tokens(target: Target, profile: TargetProfile, timeout_s: float) -> None:
    """A harmless authenticated call per token: a wrong one stops the run here, not in every test."""
    for _, problem in token_checks(target, profile, timeout_s):
        if problem is not None:
            raise ConfigError(problem)


def token_checks(target: Target, profile: TargetProfile,
                 timeout_s: float) -> list[tuple[str, str | None]]:
    """Per token the target has a use for: (setting, None if accepted or the one-sentence problem).

    The call is harmless: the profile's delete-user (or first backdate hook) for an address nobody
    has. A profile whose only hooks rotate keys has its hook token checked by the first use."""
    nobody = {"email": f"authprobe-preflight-{secrets.token_hex(4)}@invalid.test", "role": "",
              "kind": "reset", "seconds": 0, "idle_seconds": 0, "age_seconds": 0}
    checks: list[tuple[str, HttpOperation, dict[str, str]]] = []
    if profile.admin_api is not None and target.admin_token is not None:
        api = profile.admin_api
        checks.append(("E2E_ADMIN_TOKEN", api.delete_user,
                       {api.token_header: api.token_prefix + target.admin_token.get_secret_value()}))
    hook = next(iter(profile.hooks.harmless().values()), None)
    if hook is not None and target.hook_token is not None:
        checks.append(("E2E_HOOK_TOKEN", hook,
                       {profile.hooks.token_header: target.hook_token.get_secret_value()}))
    results: list[tuple[str, str | None]] = []
    tls = target.tls()
    for setting, operation, headers in checks:
        path = operation.path.format(**{k: quote(str(v), safe="") for k, v in nobody.items()})
        body = fill(operation.json_body, nobody) if operation.json_body is not None else None
        try:
            answer = httpget.get(target.base_url + path, timeout_s, method=operation.method,
                                 headers=headers, body=body, tls=tls)
        except (DeadlineExceeded, urllib.error.URLError, OSError) as exc:
            if (problem := certificate_problem(target.base_url, exc, target.trust)) is not None:
                results.append((setting, problem))
                continue
            results.append((setting, f"{operation.method} {operation.path} (checking {setting}) "
                                     f"got no answer from {target.base_url} within {timeout_s:g} s; "
                                     "check the target, or raise E2E_HTTP_TIMEOUT if it is only slow."))
            continue
        refused = answer.status in (401, 403)
        results.append((setting, f"{setting} was refused by the target ({operation.method} "
                                 f"{operation.path} answered {answer.status}); set the right value."
                        if refused else None))
    return results
