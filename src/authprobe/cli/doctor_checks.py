"""The checks of `authprobe doctor` (authprobe/cli/doctor.py): is this configuration ready to
run, without running the suite?

One line per check, ✓ or ✗ with what to fix: settings (every problem at once), profile,
target, session endpoint (anonymous answer read with the profile's JMESPath), roles
endpoint, IMAP login and IDLE, the browser (found, version, launches), the admin and
hook tokens (one harmless call each), whether a staging target's test hooks answer from here
without a token (a warning), and every `[paths]` page. Checks run side by side
under one deadline, so unreachable hosts cost seconds, not a timeout each.
"""

from __future__ import annotations

import concurrent.futures
import functools
import re
import socket
import ssl
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from authprobe.cli.doctor_admin import NAME as ADMIN_SCREEN
from authprobe.cli.doctor_admin import admin_screen_check
from authprobe.errors import AuthprobeError, DeadlineExceeded
from authprobe.oob.devices import is_loopback_origin
from authprobe.oracle.session import parse_roles_answer, parse_session_answer
from authprobe.plugin import suite_dir
from authprobe.profile import TargetProfile, load_profile
from authprobe.profile.features import SCREEN_FEATURE
from authprobe.provisioning.leftovers import cannot_remove, checks_making_users, unusable_channels
from authprobe.settings import Settings, load_settings
from authprobe.target import httpget
from authprobe.target.app import Target, answers, configured_target, token_checks
from authprobe.tls import certificate_problem

DEADLINE_S = 12.0
OK, FAIL, NOTE, WARN = "✓", "✗", "·", "!"  # WARN: works, but say so; not a failure


@dataclass(frozen=True)
class Result:
    name: str
    mark: str  # OK, FAIL, WARN (works, with a risk to know) or NOTE (not checked here, and why)
    said: str

    def line(self) -> str:
        return f"{self.mark} {self.name}: {self.said}"


def _http_problem(url: str, exc: Exception, target: Target | None = None) -> str:
    if isinstance(exc, DeadlineExceeded):
        return f"{exc}; check the target or raise E2E_HTTP_TIMEOUT"
    if target is not None and (untrusted := certificate_problem(target.base_url, exc, target.trust)):
        return untrusted.rstrip(".")
    return f"no answer from {url} ({getattr(exc, 'reason', exc)}); check E2E_BASE_URL"


def _session_check(target: Target, profile: TargetProfile, timeout: float) -> Result:
    name = "session endpoint"
    url = target.base_url + profile.session_probe.url
    try:
        answer = httpget.get(url, timeout, tls=target.tls())
        state = parse_session_answer(profile.session_probe, answer.status, answer.content_type,
                                     answer.body, url)
    except (DeadlineExceeded, urllib.error.URLError, OSError) as exc:
        return Result(name, FAIL, _http_problem(url, exc, target))
    except AuthprobeError as exc:
        return Result(name, FAIL, str(exc))
    if state.authenticated:
        return Result(name, FAIL, f"GET {url} says someone is signed in without a cookie; "
                                  "check session_probe in the profile")
    return Result(name, OK, f"GET {profile.session_probe.url} → {answer.status}, read as signed out")


def _roles_check(target: Target, profile: TargetProfile, timeout: float) -> Result:
    name = "roles endpoint"
    assert profile.session_probe.roles_url is not None
    url = target.base_url + profile.session_probe.roles_url
    try:
        answer = httpget.get(url, timeout, tls=target.tls())
        parse_roles_answer(profile.session_probe, answer.status, answer.content_type, answer.body, url)
    except (DeadlineExceeded, urllib.error.URLError, OSError) as exc:
        return Result(name, FAIL, _http_problem(url, exc, target))
    except AuthprobeError as exc:
        return Result(name, FAIL, str(exc))
    return Result(name, OK, f"GET {profile.session_probe.roles_url} → {answer.status}")


def _page_check(target: Target, path: str, screen: str, timeout: float) -> Result:
    name = f"page {screen}"
    url = target.base_url + path
    try:
        answer = httpget.get(url, timeout, tls=target.tls())
    except (DeadlineExceeded, urllib.error.URLError, OSError) as exc:
        return Result(name, FAIL, _http_problem(url, exc, target))
    if answer.status >= 400 and answer.status not in (401, 403):
        return Result(name, FAIL, f"GET {path} → {answer.status}; fix [paths] {screen} in the profile")
    return Result(name, OK, f"GET {path} → {answer.status}")


def _page_checks(target: Target, path: str, screen: str, timeout: float) -> list[Result]:
    return [_page_check(target, path, screen, timeout)]


def _mail_check(target: Target) -> Result:
    name = "mail catcher" if target.mail_source == "maildev" else "IMAP"
    try:
        # within doctor's own deadline: a server that stalls answers "✗" in time, and nothing lingers
        with target.inbox(imap_timeout=(DEADLINE_S - 2) / 2) as box:
            idle = box.supports_idle
    except AuthprobeError as exc:
        return Result(name, FAIL, str(exc))
    if target.mail_source == "maildev":
        how = "new mail is pushed (socket.io)" if idle else "no push channel, mail is polled every 0.25 s"
        return Result(name, OK, f"MailDev answers at {target.mail_api_url}; {how}")
    where = f"{target.imap_user}@{target.imap_host}:{target.imap_port}"
    if not idle:
        return Result(name, OK, f"logged in as {where}; no IDLE, mail is polled every second")
    return Result(name, OK, f"logged in as {where}, IDLE supported")


def _sms_check(target: Target, profile: TargetProfile, settings: Settings) -> Result:
    """The gateway of [sms] answers and takes the account: one message-list call."""
    name = "SMS gateway"
    try:
        phone = target.phone(profile, settings)
        phone.check()
    except AuthprobeError as exc:
        return Result(name, FAIL, str(exc))
    return Result(name, OK, f"{phone.api_url} takes account {target.sms_account_sid}")


def _sso_checks(target: Target, profile: TargetProfile, settings: Settings, timeout: float) -> list[Result]:
    """The IdP's discovery document, then the profile's [sso] against it: one line each."""
    from authprobe.provisioning.identities import parse_identity_pool
    from authprobe.target.idp import discover

    sso = profile.sso
    assert sso is not None
    try:
        found = discover(target.idp_url, sso, timeout, target.tls())
    except AuthprobeError as exc:
        return [Result("IdP discovery", FAIL, str(exc)),
                Result("[sso]", NOTE, "not checked: the identity provider's discovery failed")]
    ends = f", end_session {found.end_session_endpoint}" if found.end_session_endpoint else ""
    results = [Result("IdP discovery", OK, f"issuer {found.issuer}: authorize, token and JWKS "
                                          f"endpoints{ends}")]
    problems = []
    if sso.policy.sign_out_ends_idp_session and not found.end_session_endpoint:
        problems.append("sso.policy.sign_out_ends_idp_session is true but the IdP advertises no "
                        "end_session_endpoint (RP-initiated logout); check the policy")
    if sso.users == "admin_api" and target.idp_admin_token is None:
        problems.append('E2E_IDP_ADMIN_TOKEN is not set, so [sso.admin_api] cannot make identities; '
                        'set it, or users = "pool" with E2E_SSO_POOL')
    if sso.users == "pool":
        if settings.sso_pool is None:
            problems.append('[sso] users = "pool" but E2E_SSO_POOL is not set')
        else:
            try:
                problems += [] if parse_identity_pool(settings.sso_pool) else ["E2E_SSO_POOL is empty"]
            except AuthprobeError as exc:
                problems.append(str(exc).rstrip("."))
    if problems:
        return [*results, Result("[sso]", FAIL, "; ".join(problems))]
    source = "its admin API" if sso.users == "admin_api" else "E2E_SSO_POOL"
    hooks = " and test hooks" if target.idp_hook_token and sso.hooks.next_id_token else ""
    return [*results, Result("[sso]", OK, f"{sso.provider}: identities from {source}{hooks}")]


def _browser_check(settings: Settings) -> Result:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from authprobe.browser_config import load_browser_config

    name = "browser"
    config = load_browser_config()
    try:
        with sync_playwright() as playwright:
            if settings.browser_endpoint is not None:  # a `playwright run-server` serves them
                browser = playwright.chromium.connect(settings.browser_endpoint.get_secret_value(),
                                                      timeout=10_000)
                version = browser.version
                browser.close()
                return Result(name, OK, f"chromium {version} from E2E_BROWSER_ENDPOINT")
            options = config.launch_options("chromium", settings.browser_path, playwright)
            browser = playwright.chromium.launch(**{**options, "timeout": 10_000})
            version = browser.version
            browser.close()
    except config.BrowserNotFound as exc:
        return Result(name, FAIL, str(exc))
    except PlaywrightError as exc:
        first = re.sub(r"wss?://\S+", "E2E_BROWSER_ENDPOINT", str(exc).strip().splitlines()[0])
        if settings.browser_endpoint is not None:
            return Result(name, FAIL, f"no browser from E2E_BROWSER_ENDPOINT ({first}); check the "
                                      "server and that its Playwright version is this run's")
        if (problem := config.launch_problem(settings.browser_path, str(exc))) is not None:
            return Result(name, FAIL, str(problem))
        return Result(name, FAIL, f"chromium did not launch ({first}); run bin/setup or set "
                                  "E2E_BROWSER_PATH")
    where = options.get("executable_path", "Playwright's own build")
    return Result(name, OK, f"chromium {version} ({where}) launches")


def _token_results(target: Target, profile: TargetProfile, timeout: float) -> list[Result]:
    results = []
    for setting, problem in token_checks(target, profile, timeout):
        name = "admin token" if setting == "E2E_ADMIN_TOKEN" else "hook token"
        results.append(Result(name, FAIL, problem) if problem is not None
                       else Result(name, OK, f"{setting} accepted (one harmless call)"))
    return results


def hook_exposure(target: Target, profile: TargetProfile, timeout: float) -> Result:
    """Do the test hooks answer from here without the token? A GET changes nothing: a hook
    that is not there (or hidden from this network) is 404; any other answer means it is
    reachable from this machine, and a leaked token would open it."""
    name = "hook exposure"
    answering = []
    for hook, operation in sorted(profile.hooks.all().items()):
        url = target.base_url + operation.path.split("{")[0]
        try:
            status = httpget.get(url, timeout, method="GET", tls=target.tls()).status
        except (DeadlineExceeded, urllib.error.URLError, OSError) as exc:
            return Result(name, FAIL, _http_problem(url, exc, target))
        if status != 404:
            answering.append(f"{hook} ({status})")
    if answering:
        return Result(name, WARN, f"the test hooks answer from this machine without a token: "
                                  f"{', '.join(answering)}; unless it is inside your network, lock "
                                  "them to it and state it in [hooks] networks")
    return Result(name, OK, "the test hooks do not answer from this machine without a token")


Check = tuple[str, Callable[[], list[Result]]]  # its name (for a timeout) and what it does


def _marks(found: tuple[str, str]) -> tuple[str, str]:
    return {"ok": OK, "note": NOTE}.get(found[0], FAIL), found[1]


def _checks(settings: Settings, profile: TargetProfile, target: Target) -> list[Check]:
    timeout = min(settings.http_timeout, DEADLINE_S - 2)
    checks: list[Check] = [
        ("session endpoint", lambda: [_session_check(target, profile, timeout)]),
        ("IMAP", lambda: [_mail_check(target)]),
        ("browser", lambda: [_browser_check(settings)]),
    ]
    if profile.sms is not None and target.sms_account_sid and target.sms_auth_token:
        checks.append(("SMS gateway", lambda: [_sms_check(target, profile, settings)]))
    if profile.sso is not None and target.idp_url:
        checks.append(("IdP discovery", lambda: _sso_checks(target, profile, settings, timeout)))
    if profile.session_probe.roles_url is not None:
        checks.append(("roles endpoint", lambda: [_roles_check(target, profile, timeout)]))
    if target.admin_token is not None or target.hook_token is not None:
        checks.append(("tokens", lambda: _token_results(target, profile, timeout)))
    if profile.hooks.all() and not is_loopback_origin(target.base_url):
        checks.append(("hook exposure", lambda: [hook_exposure(target, profile, timeout)]))
    if profile.admin_screen is not None:
        checks.append((ADMIN_SCREEN, lambda: [Result(ADMIN_SCREEN, *_marks(admin_screen_check(
            settings, profile, target, timeout)))]))
    for screen, path in profile.paths.model_dump().items():
        if path and not _lacking(profile, screen):
            checks.append((f"page {screen}", functools.partial(_page_checks, target, path, screen,
                                                               timeout)))
    return checks


def _lacking(profile: TargetProfile, screen: str) -> str | None:
    """The profile line that says the app has no such screen (it is then not probed)."""
    feature = SCREEN_FEATURE.get(screen)
    return None if feature is None else profile.missing(feature)


def _absent_notes(profile: TargetProfile) -> list[Result]:
    """The screens left alone because the profile says the app lacks their feature."""
    return [Result(f"page {screen}", NOTE, f"not probed: {reason}, its checks skip")
            for screen, path in profile.paths.model_dump().items()
            if path and (reason := _lacking(profile, screen))]


def _removal_line(settings: Settings, profile: TargetProfile) -> list[Result]:
    """Said before any run: the users a run will leave when no channel can remove them."""
    suite = suite_dir()
    said = cannot_remove(profile, checks_making_users(suite) if suite else 0,
                         unusable_channels(profile, settings))
    return [Result("user removal", WARN, said)] if said else []


def _unconfigured_notes(settings: Settings, profile: TargetProfile) -> list[Result]:
    notes = [*_absent_notes(profile), *_removal_line(settings, profile)]
    if profile.admin_api is not None and settings.admin_token is None:
        notes.append(Result("admin token", NOTE, "E2E_ADMIN_TOKEN is not set; the profile's "
                                                 "[admin_api] will not be used"))
    if profile.sms is not None and not (settings.sms_account_sid and settings.sms_auth_token):
        notes.append(Result("SMS gateway", NOTE, "E2E_SMS_ACCOUNT_SID and E2E_SMS_AUTH_TOKEN are "
                                                 "not both set; the [sms] checks will be skipped"))
    if profile.sso is not None and settings.idp_url is None:
        notes.append(Result("IdP discovery", NOTE, "E2E_IDP_URL is not set; the [sso] checks will be "
                                                   "skipped"))
    if profile.hooks.all() and settings.hook_token is None:
        notes.append(Result("hook token", NOTE, "E2E_HOOK_TOKEN is not set; checks that need "
                                                "test hooks will be skipped"))
    return notes


def diagnose(base_url_option: str | None = None) -> list[Result]:
    """Every check's result, in a fixed order, within DEADLINE_S."""
    try:
        settings = load_settings(base_url_option)
    except AuthprobeError as exc:
        return [Result("settings", FAIL, str(exc))]
    results = [Result("settings", OK, f"target {settings.target}")]
    try:
        profile = load_profile(settings.target)
    except AuthprobeError as exc:
        return [*results, Result("profile", FAIL, str(exc))]
    results.append(Result("profile", OK, f"{profile.name} loaded"))
    if settings.base_url is None:
        started = "starts with each run" if profile.launch is not None else "has no [launch]"
        return [*results, Result("target", NOTE if profile.launch else FAIL,
                                 f"E2E_BASE_URL is unset: {profile.name} {started}; to check a "
                                 f"running one, `authprobe serve {profile.name}` and set "
                                 "E2E_BASE_URL and the E2E_IMAP_* variables it prints")]
    try:
        target = configured_target(settings, profile.mail.source)
    except AuthprobeError as exc:
        return [*results, Result("target", FAIL, str(exc)),
                *_run_all([("browser", lambda: [_browser_check(settings)])])]
    checks = _checks(settings, profile, target)
    if not answers(target.base_url, timeout_s=min(3.0, settings.http_timeout)):
        results.append(Result("target", FAIL, f"nothing answers at {target.base_url}; check "
                                              "E2E_BASE_URL and that the app is running"))
        checks = [check for check in checks if check[0] in ("IMAP", "browser")]
    elif (untrusted := _certificate_line(target, min(3.0, settings.http_timeout))) is not None:
        results.append(untrusted)
    else:
        results.append(Result("target", OK, f"{target.base_url} answers"))
    return [*results, *_run_all(checks), *_unconfigured_notes(settings, profile)]


def _certificate_line(target: Target, timeout: float) -> Result | None:
    """An HTTPS target whose certificate this machine does not trust (E2E_CA_BUNDLE), named as such:
    a TCP answer alone would say "✓ target answers" and every later check "no answer"."""
    parts = urlsplit(target.base_url)
    if parts.scheme != "https":
        return None
    host = parts.hostname or "127.0.0.1"
    try:
        with socket.create_connection((host, parts.port or 443), timeout=timeout) as sock, \
                target.tls().wrap_socket(sock, server_hostname=host):
            return None
    except ssl.SSLCertVerificationError as exc:
        untrusted = certificate_problem(target.base_url, exc, target.trust) or str(exc)
        return Result("target", FAIL, untrusted.rstrip("."))
    except OSError:
        return None  # not a certificate problem: the checks below say what it is


def _run_all(checks: list[Check]) -> list[Result]:
    """Run the checks side by side; one still running at the deadline is a failure."""
    ends = time.monotonic() + DEADLINE_S
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(len(checks), 1),
                                                 thread_name_prefix="authprobe-doctor")
    futures = [(name, pool.submit(check)) for name, check in checks]
    results: list[Result] = []
    for name, future in futures:
        try:
            results.extend(future.result(timeout=max(ends - time.monotonic(), 0)))
        except concurrent.futures.TimeoutError:
            results.append(Result(name, FAIL, f"no result within {DEADLINE_S:g} s; the host "
                                              "does not answer"))
    pool.shutdown(wait=False, cancel_futures=True)
    return results


def doctor_command(base_url_option: str | None = None) -> int:
    started = time.monotonic()
    results = diagnose(base_url_option)
    for result in results:
        print(result.line(), flush=True)
    failed = sum(result.mark == FAIL for result in results)
    seconds = time.monotonic() - started
    print(f"authprobe doctor: {len(results) - failed} of {len(results)} checks fine"
          + (f", {failed} to fix" if failed else "") + f" ({seconds:.1f} s).")
    return 1 if failed else 0
