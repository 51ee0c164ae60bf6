"""Data-flow hygiene: where session and one-time tokens, passwords and pages end up.

Each check's judgement lives in `authprobe.security.hygiene`/`authprobe.security.watch`, so the tool's own
tests can plant each problem and prove the same code flags it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Playwright
from pydantic import SecretStr

from authprobe.flows.access import open_page
from authprobe.flows.account import activate, sign_up
from authprobe.flows.reset import request_reset, reset_link, use_reset_link
from authprobe.flows.session import sign_in, sign_out
from authprobe.oob.mail import Inbox
from authprobe.oracle.session import BackendSession
from authprobe.pages.account import AccountShell
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, new_password
from authprobe.security.hygiene import (
    call_hooks_unlocked,
    cookie_problems,
    hook_lock_problems,
    link_tokens,
    missing_no_store,
    storage_problems,
)
from authprobe.security.watch import DataFlowLog, EgressWatch, echoed, tokens_in_urls, without_query
from authprobe.settings import Settings
from authprobe.target.app import Target

pytestmark = pytest.mark.hygiene


@dataclass(frozen=True)
class Lifecycle:
    """What one account's sign-up → reset walk handed out: its passwords and tokens."""

    passwords: tuple[SecretStr, ...]
    tokens: tuple[str, ...]


def session_cookie_values(page: Page, profile: TargetProfile) -> list[str]:
    return [c["value"] for c in page.context.cookies() if c["name"] == profile.session_probe.cookie_name]


def signed_in(page: Page, profile: TargetProfile, user: ThrowawayUser) -> None:
    result = sign_in(page, profile, user.email, user.password)
    assert result.outcome == "signed_in", f"sign-in of {user.email}: {result.outcome} ({result.message})"


def walk_account_lifecycle(
    page: Page, profile: TargetProfile, inbox: Inbox, users: ThrowawayUsers, settings: Settings
) -> Lifecycle:
    """Sign up, activate, sign in, sign out, reset the password, sign in again."""
    first = new_password()
    email = users.address("hygiene", first)
    signed_up = sign_up(page, profile, email, first)
    assert signed_up.accepted, f"sign-up of {email} was refused: {signed_up.message}"
    tokens: list[str] = []
    if profile.policy.email_verification_required:
        activation = activate(page, profile, inbox, email, settings.mail_timeout)
        assert activation.activated, f"activation of {email} failed: {activation.message}"
        tokens += link_tokens(activation.link)
    assert sign_in(page, profile, email, first).outcome == "signed_in", "sign-in after sign-up failed"
    tokens += session_cookie_values(page, profile)
    sign_out(page, profile)
    if profile.missing("reset_by_mail"):  # the app has no reset: the walk has no second password
        assert sign_in(page, profile, email, first).outcome == "signed_in", "second sign-in failed"
        tokens += session_cookie_values(page, profile)
        AccountShell(page, profile).open()
        return Lifecycle((first,), tuple(tokens))
    request_reset(page, profile, email)
    link = reset_link(inbox, profile, email, settings.mail_timeout)
    tokens += link_tokens(link)
    second = new_password()
    attempt = use_reset_link(page, profile, link, second)
    assert attempt.outcome == "changed", f"reset failed: {attempt.outcome} ({attempt.message})"
    assert sign_in(page, profile, email, second).outcome == "signed_in", "sign-in after reset failed"
    tokens += session_cookie_values(page, profile)
    AccountShell(page, profile).open()
    return Lifecycle((first, second), tuple(tokens))


def pages_for(profile: TargetProfile, role: str) -> list[str]:
    """The account page and every page of the role matrix that `role` may see."""
    allowed = [r.path for r in profile.roles.resources if r.kind == "page" and role in r.allowed]
    return [profile.paths.account, *allowed]


def widest_role(profile: TargetProfile, available: list[str]) -> str:
    """Of the roles the run can provision, the one that may see the most pages."""
    return max(available, key=lambda role: len(pages_for(profile, role)))


def last_response_headers(log: DataFlowLog, path: str) -> Mapping[str, str] | None:
    answered = [e for e in log.exchanges
                if urlsplit(e.url).path == path and e.status is not None and e.status < 300]
    return answered[-1].response_headers if answered else None


@pytest.mark.severity1
def test_session_and_one_time_tokens_never_leave_the_origin_in_urls_or_referers(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_target: Target, authprobe_flows_log: DataFlowLog,
    authprobe_egress: EgressWatch,
) -> None:
    walk = walk_account_lifecycle(page, authprobe_profile, authprobe_inbox, authprobe_users,
                                  authprobe_settings)
    assert walk.tokens, "the walk collected no session cookie or link token to look for"
    leaks = tokens_in_urls(authprobe_flows_log, walk.tokens, authprobe_target.base_url)
    assert not leaks, (
        "token leak: a session or one-time token went to another origin in a URL or Referer:\n"
        + "\n".join(f"  {url} (in the {where})" for url, where in leaks)
    )


@pytest.mark.severity2
def test_passwords_are_never_echoed_in_responses(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_flows_log: DataFlowLog,
) -> None:
    walk = walk_account_lifecycle(page, authprobe_profile, authprobe_inbox, authprobe_users,
                                  authprobe_settings)
    echoes = [exchange for password in walk.passwords for exchange in echoed(authprobe_flows_log, password)]
    assert not echoes, (
        "password echoed: a response body repeats a password typed at sign-up, sign-in or "
        "reset (it lands in caches, logs and traces):\n"
        + "\n".join(f"  {e.method} {without_query(e.url)} → {e.status}" for e in echoes)
    )


@pytest.mark.severity1
def test_session_cookie_is_httponly_samesite_and_secure_on_https(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_target: Target,
) -> None:
    signed_in(page, authprobe_profile, authprobe_users.create(tag="cookie"))
    name = authprobe_profile.session_probe.cookie_name
    cookies = [c for c in page.context.cookies() if c["name"] == name]
    assert cookies, f"no {name} cookie after sign-in; check session_probe.cookie_name"
    https = urlsplit(authprobe_target.base_url).scheme == "https"
    problems = [problem for cookie in cookies for problem in cookie_problems(dict(cookie), https)]
    assert not problems, "session cookie flags:\n  " + "\n  ".join(problems)


@pytest.mark.severity2
def test_authenticated_pages_are_never_cacheable(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_flows_log: DataFlowLog,
) -> None:
    role = widest_role(authprobe_profile, authprobe_users.roles_available())
    signed_in(page, authprobe_profile, authprobe_users.create(role=role, tag="cache"))
    paths = pages_for(authprobe_profile, role)
    for path in paths:
        visit = open_page(page, authprobe_profile, path)
        assert not (visit.shows_forbidden or visit.shows_sign_in), (
            f"a {role} could not open {path}: {visit.describe()}"
        )
    answered = [(path, last_response_headers(authprobe_flows_log, path)) for path in paths]
    unseen = [path for path, headers in answered if headers is None]
    assert not unseen, f"no successful response was recorded for {unseen}"
    problems = missing_no_store([(path, headers) for path, headers in answered if headers is not None])
    assert not problems, (
        f"cacheable authenticated page (signed in as {role}):\n  " + "\n  ".join(problems)
    )


@pytest.mark.severity2
def test_no_auth_tokens_in_web_storage(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
) -> None:
    if authprobe_profile.policy.tokens_in_local_storage:
        pytest.skip(f"target {authprobe_profile.name} keeps tokens in web storage by design (profile policy)")
    user = authprobe_users.create(tag="storage")
    signed_in(page, authprobe_profile, user)
    shell = AccountShell(page, authprobe_profile)
    stored: dict[str, str] = {}
    for path in pages_for(authprobe_profile, user.role):
        open_page(page, authprobe_profile, path)
        stored.update(shell.stored_values())
    problems = storage_problems(stored, session_cookie_values(page, authprobe_profile))
    assert not problems, "auth token in web storage:\n  " + "\n  ".join(problems)


@pytest.mark.severity1
def test_test_hooks_refuse_calls_without_the_right_token(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_target: Target, playwright: Playwright,
) -> None:
    if not authprobe_profile.hooks.all():
        pytest.skip(f"target {authprobe_profile.name} lists no test hooks in its profile")
    user = authprobe_users.create(tag="hooklock")
    signed_in(page, authprobe_profile, user)
    backend = BackendSession(page.context.request, authprobe_profile.session_probe,
                             authprobe_settings.http_timeout)
    policy = authprobe_profile.policy
    beyond_every_ttl = (policy.absolute_ttl_seconds or 0) + (policy.idle_ttl_seconds or 0) + 86_400
    values = {"email": user.email, "idle_seconds": beyond_every_ttl, "age_seconds": beyond_every_ttl,
              "seconds": beyond_every_ttl, "kind": "reset", "grace_seconds": 0}
    stranger = playwright.request.new_context(base_url=authprobe_target.base_url,  # no cookies, no token
                                              ignore_https_errors=authprobe_target.trust.ignore)
    try:
        statuses = call_hooks_unlocked(stranger, authprobe_profile.hooks, values,
                                       authprobe_settings.http_timeout)
    finally:
        stranger.dispose()
    problems = hook_lock_problems(statuses)
    assert not problems, "unlocked test hook:\n  " + "\n  ".join(problems)
    after = backend.read()
    assert after.authenticated, (
        "a refused test-hook call still changed the target: the user's session ended\n  "
        + after.describe()
    )
