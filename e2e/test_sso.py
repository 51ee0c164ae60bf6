"""Sign-in through an identity provider ([sso]): who signed in and how, the callback's
refusals, account linking, sign-out on both sides, revocation at the IdP, its key rotation,
and the IdP going down mid-sign-in.

The faulty ID tokens come from the IdP's own test hooks ([sso.hooks] next_id_token), as in the
OpenID Foundation's relying-party certification, whose test OP misbehaves once per test; the
state, code and nonce checks stand where an attacker in the browser stands (flows.sso).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from authprobe.errors import WaitTimeout
from authprobe.flows.access import open_page
from authprobe.flows.sso import (
    Held,
    SsoSignIn,
    finish_sso,
    front_channel,
    idp_prompts,
    sso_sign_in,
    sso_sign_out,
    start_sso,
)
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import BackendSession, Expected, replay_cookies
from authprobe.profile import Sso, TargetProfile
from authprobe.provisioning.identities import Identities, Identity
from authprobe.provisioning.users import ThrowawayUsers
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.idp import IdentityProvider, Tamper
from authprobe.testing import MakeJourney
from authprobe.wait import wait_until

pytestmark = pytest.mark.sso
POLL_S = 0.5


def _sso(profile: TargetProfile) -> Sso:
    assert profile.sso is not None  # authprobe_idp skips otherwise
    return profile.sso


def _signed_in(page: Page, profile: TargetProfile, idp: IdentityProvider, who: Identity,
               trip: Journey, step: str = "sign in with the identity provider") -> SsoSignIn:
    with trip.step(step, Expected(authenticated=True, email=who.email)):
        result = sso_sign_in(page, profile, idp.discovery, who.email, who.password.get_secret_value())
    assert result.outcome != "idp_error", (
        f"the identity provider showed an error instead of its sign-in screen at {result.url} "
        f"({result.message}): check that the app's redirect URI is registered at the IdP")
    assert result.outcome == "signed_in", (
        f"setup: signing in with the identity provider as {who.email} failed: {result.outcome} "
        f"({result.message}) at {result.url}")
    return result


def _held_sign_in(page: Page, profile: TargetProfile, idp: IdentityProvider, who: Identity) -> Held:
    """Sign in at the IdP, its answer (the callback with code and state) kept from the app."""
    with front_channel(page, idp.discovery, hold_callback=True) as held:
        start_sso(page, profile)
        finish_sso(page, profile, idp.discovery, who.email, who.password.get_secret_value(),
                   step="sign in at the IdP, answer held")
    assert held.callback, f"setup: the identity provider never sent the browser back ({page.url})"
    return held


def _signed_out_within(page: Page, profile: TargetProfile, backend: BackendSession,
                       seconds: float) -> str | None:
    """Open the account page (a request: the app refreshes what is due) until the backend says
    nobody is signed in, for at most `seconds`; what it said then, or None if it never did."""
    def signed_out() -> str | None:
        open_page(page, profile, profile.paths.account)
        view = backend.read()
        return None if view.authenticated else view.describe()

    try:
        return wait_until(signed_out, timeout=seconds, what="the session to end", interval=POLL_S)
    except WaitTimeout:
        return None


def _refused(page: Page, profile: TargetProfile, step: str, trip: Journey,
             deliver: Callable[[], object], invariant: str) -> None:
    """Deliver something the app must refuse; backend and UI must both say nobody signed in."""
    with trip.step(step, Expected(authenticated=False)):
        deliver()
    backend = BackendSession(page.context.request, profile.session_probe, 10).read()
    assert not backend.authenticated, f"{invariant}: {backend.describe()}"


@pytest.mark.severity1
def test_sso_sign_in_agrees_on_who_how_and_roles(
    page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney, authprobe_settings: Settings,
) -> None:
    sso = _sso(authprobe_profile)
    who = authprobe_identities.create("who")
    trip = authprobe_journey(page, "sign in with the identity provider")
    _signed_in(page, authprobe_profile, authprobe_idp, who, trip)
    backend = BackendSession(page.context.request, authprobe_profile.session_probe,
                             authprobe_settings.http_timeout)
    view = backend.read()
    default = authprobe_profile.roles.default
    assert view.roles is None or default in view.roles, (
        f"a new identity from the IdP must get the default role {default!r}, the backend says "
        f"roles {list(view.roles)}")
    if sso.signed_in_with is not None:
        how = backend.pick(sso.signed_in_with)
        assert how == sso.provider, (
            f"the session endpoint must say the user signed in through {sso.provider!r} "
            f"({sso.signed_in_with}), it says {how!r}")


@pytest.mark.severity1
def test_callback_refuses_missing_or_wrong_state_and_a_replayed_code(
    page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney,
    new_context: Callable[..., BrowserContext],
) -> None:
    who = authprobe_identities.create("state")
    trip = authprobe_journey(page, "callback: state and code")
    held = _held_sign_in(page, authprobe_profile, authprobe_idp, who)
    _refused(page, authprobe_profile, "deliver the callback without state", trip,
             lambda: page.goto(held.without("state")),
             "a callback without state must not sign anyone in (login CSRF)")
    _refused(page, authprobe_profile, "deliver the callback with another state", trip,
             lambda: page.goto(held.replacing("state", secrets.token_urlsafe(16))),
             "a callback whose state the browser never sent must not sign anyone in (login CSRF)")
    with trip.step("deliver the real callback", Expected(authenticated=True, email=who.email)):
        page.goto(held.callback or "")
    stranger = new_context().new_page()
    elsewhere = authprobe_journey(stranger, "callback replayed in another browser")
    _refused(stranger, authprobe_profile, "replay the used callback in another browser", elsewhere,
             lambda: stranger.goto(held.callback or ""),
             "an authorization code already used (and a state of another browser) must not sign "
             "anyone in")


@pytest.mark.severity1
def test_an_id_token_with_another_nonce_is_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney,
) -> None:
    who = authprobe_identities.create("nonce")
    trip = authprobe_journey(page, "ID token with another nonce")
    with front_channel(page, authprobe_idp.discovery, rewrite={"nonce": secrets.token_urlsafe(16)}) as seen:
        start_sso(page, authprobe_profile)
        request = parse_qs(urlsplit(seen.authorize or "").query)
        if "nonce" in request:
            _refused(page, authprobe_profile, "sign in with the nonce changed on its way to the IdP", trip,
                     lambda: finish_sso(page, authprobe_profile, authprobe_idp.discovery, who.email,
                                        who.password.get_secret_value()),
                     "an ID token whose nonce is not the one the app sent must be refused (replay of "
                     "a token issued for another sign-in)")
            return
    assert seen.authorize, f"setup: the app's 'Sign in with …' never reached the IdP ({page.url})"
    assert request.get("code_challenge_method") == ["S256"], (
        "the app's authorization request carries neither a nonce nor PKCE (S256): nothing binds the "
        f"code or the ID token to the sign-in this browser started: {seen.authorize}")
    pytest.skip("the app sends no nonce; PKCE (S256) binds the code to this browser instead "
                "(OIDC Core leaves nonce optional in the code flow)")


@pytest.mark.severity1
@pytest.mark.parametrize("tamper", ["audience", "signature", "issuer", "expired"])
def test_a_faulty_id_token_is_refused(
    tamper: Tamper, page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney,
) -> None:
    if not authprobe_idp.has_hook("next_id_token"):
        pytest.skip("needs the IdP's next_id_token test hook ([sso.hooks], E2E_IDP_HOOK_TOKEN)")
    who = authprobe_identities.create(f"idt-{tamper}")
    authprobe_idp.tamper_next_id_token(who.email, tamper)
    trip = authprobe_journey(page, f"ID token: {tamper}")
    what = {"audience": "issued to another client", "signature": "whose signature does not verify",
            "issuer": "from another issuer", "expired": "already expired"}[tamper]
    _refused(page, authprobe_profile, f"sign in with an ID token {what}", trip,
             lambda: sso_sign_in(page, authprobe_profile, authprobe_idp.discovery, who.email,
                                 who.password.get_secret_value()),
             f"an ID token {what} must be refused")


@pytest.mark.severity1
def test_an_unverified_idp_email_never_takes_over_a_local_account(
    page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    local = authprobe_users.create(tag="linked")
    stranger = authprobe_identities.create(email=local.email, email_verified=False)
    trip = authprobe_journey(page, "linking by an unverified email")
    with trip.step("sign in with the IdP as an unverified owner of the address", None):
        sso_sign_in(page, authprobe_profile, authprobe_idp.discovery, stranger.email,
                    stranger.password.get_secret_value())
    view = BackendSession(page.context.request, authprobe_profile.session_probe, 10).read()
    assert not (view.authenticated and (view.email or "").lower() == local.email.lower()), (
        f"pre-account takeover: an IdP identity whose email {local.email} the IdP has not "
        f"verified signed in as the existing local account of that address: {view.describe()}")
    if _sso(authprobe_profile).policy.link_verified_email:
        if view.authenticated:
            sso_sign_out(page, authprobe_profile, authprobe_idp.discovery)
        authprobe_identities.idp.delete_identity(local.email)
        owner = authprobe_identities.create(email=local.email, email_verified=True)
        _signed_in(page, authprobe_profile, authprobe_idp, owner, trip,
                   "sign in with the IdP as the verified owner (sso.policy.link_verified_email)")


@pytest.mark.severity1
def test_sign_out_ends_the_app_session_and_the_idp_session_as_promised(
    page: Page, browser: Browser, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney, authprobe_target: Target,
    authprobe_settings: Settings,
) -> None:
    who = authprobe_identities.create("signout")
    trip = authprobe_journey(page, "sign out after SSO")
    _signed_in(page, authprobe_profile, authprobe_idp, who, trip)
    with trip.step("sign out", Expected(authenticated=False)):
        done = sso_sign_out(page, authprobe_profile, authprobe_idp.discovery)
    view = replay_cookies(browser, authprobe_target.base_url, done.cookies_before,
                          authprobe_profile.session_probe, authprobe_settings.http_timeout,
                          ignore_https_errors=authprobe_target.trust.ignore)
    assert not view.authenticated, (
        f"the app's sign-out must end its session on the server; the old cookie still works: "
        f"{view.describe()}")
    if _sso(authprobe_profile).policy.sign_out_ends_idp_session:
        prompted = idp_prompts(page, authprobe_profile, authprobe_idp.discovery)
        assert prompted, (
            "silent mismatch: the profile says the app's sign-out ends the IdP session, but the "
            f"next 'Sign in with …' went straight back in without asking for a password ({page.url})")


@pytest.mark.severity1
@pytest.mark.parametrize("action", ["sign_out_user", "disable_user"])
def test_revocation_at_the_idp_ends_the_app_session_in_time(
    action: str, page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney, authprobe_settings: Settings,
) -> None:
    bound = _sso(authprobe_profile).policy.revocation_within_seconds
    if bound is None:
        pytest.skip("the profile promises no sso.policy.revocation_within_seconds")
    if not authprobe_idp.can(action):
        pytest.skip(f"needs [sso.admin_api] {action} and E2E_IDP_ADMIN_TOKEN")
    if action == "disable_user" and authprobe_identities.pooled:
        pytest.skip("never disables an identity of E2E_SSO_POOL")
    who = authprobe_identities.create(f"revoke-{action[:4]}")
    trip = authprobe_journey(page, f"IdP {action}")
    _signed_in(page, authprobe_profile, authprobe_idp, who, trip)
    (authprobe_idp.sign_out_everywhere if action == "sign_out_user" else authprobe_idp.disable)(who.email)
    backend = BackendSession(page.context.request, authprobe_profile.session_probe,
                             authprobe_settings.http_timeout)
    _signed_out_within(page, authprobe_profile, backend, bound)  # the step below judges it
    late = f"open the account page {bound:g} s after the IdP's {action}"
    with trip.step(late, Expected(authenticated=False)):
        visit = open_page(page, authprobe_profile, authprobe_profile.paths.account)
    assert visit.shows_sign_in, (
        f"after the IdP's {action} the app's session must end within {bound:g} s "
        f"(sso.policy.revocation_within_seconds): {visit.describe()}")


@pytest.mark.severity1
@pytest.mark.whole_target
def test_idp_key_rotation_keeps_sign_in_and_refresh_and_retired_keys_are_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney,
    new_context: Callable[..., BrowserContext], authprobe_settings: Settings,
) -> None:
    if not (authprobe_idp.can("rotate_keys") and authprobe_idp.can("retire_keys")):
        pytest.skip("needs [sso.admin_api] rotate_keys and retire_keys (an IdP of your own)")
    before = authprobe_identities.create("rot-before")
    trip = authprobe_journey(page, "IdP key rotation: a session from before")
    _signed_in(page, authprobe_profile, authprobe_idp, before, trip, "sign in before the rotation")
    authprobe_idp.rotate_keys()
    after = authprobe_identities.create("rot-after")
    fresh = new_context().new_page()
    _signed_in(fresh, authprobe_profile, authprobe_idp, after,
               authprobe_journey(fresh, "IdP key rotation: after"),
               "sign in with the IdP's new key (the old one still published)")
    refresh_due = _sso(authprobe_profile).policy.revocation_within_seconds
    if refresh_due is not None:  # the app asks the IdP at least this often (its promise)
        backend = BackendSession(page.context.request, authprobe_profile.session_probe,
                                 authprobe_settings.http_timeout)
        ended = _signed_out_within(page, authprobe_profile, backend, refresh_due)
        assert ended is None, (
            f"a session from before the IdP's key rotation ended at its refresh: {ended}")
        with trip.step(f"open the account page {refresh_due:g} s after the rotation (a token "
                       "refresh, its new ID token signed by the new key)",
                       Expected(authenticated=True, email=before.email)):
            visit = open_page(page, authprobe_profile, authprobe_profile.paths.account)
        assert not visit.shows_sign_in, (
            f"a session from before the IdP's key rotation must survive its refresh: {visit.describe()}")
    if not authprobe_idp.has_hook("next_id_token"):
        return
    authprobe_idp.retire_keys()
    # the one wait on the clock: the IdP lets apps cache its key set this long (its max-age), and
    # nothing outside the app shows when its copy goes; only after it must the old key be refused
    time.sleep(authprobe_idp.jwks_max_age() or 0)
    late = authprobe_identities.create("rot-retired")
    authprobe_idp.tamper_next_id_token(late.email, "retired_key")
    third = new_context().new_page()
    _refused(third, authprobe_profile, "sign in with an ID token signed by the retired key",
             authprobe_journey(third, "IdP key rotation: retired key"),
             lambda: sso_sign_in(third, authprobe_profile, authprobe_idp.discovery, late.email,
                                 late.password.get_secret_value()),
             "an ID token signed by a key the IdP retired (no longer in its JWKS, past the key "
             "set's max-age) must be refused")


@pytest.mark.severity2
def test_idp_down_at_the_callback_leaves_nobody_half_signed_in(
    page: Page, authprobe_profile: TargetProfile, authprobe_idp: IdentityProvider,
    authprobe_identities: Identities, authprobe_journey: MakeJourney,
) -> None:
    if not authprobe_idp.has_hook("outage"):
        pytest.skip("needs the IdP's outage test hook ([sso.hooks], E2E_IDP_HOOK_TOKEN)")
    who = authprobe_identities.create("outage")
    trip = authprobe_journey(page, "IdP down during sign-in")
    held = _held_sign_in(page, authprobe_profile, authprobe_idp, who)
    authprobe_idp.outage(30)
    try:
        _refused(page, authprobe_profile, "deliver the callback while the IdP is down", trip,
                 lambda: page.goto(held.callback or ""),
                 "while the IdP cannot be reached the app cannot have verified anyone")
        login = open_page(page, authprobe_profile, authprobe_profile.paths.account)
        assert login.shows_sign_in, f"the UI must say nobody is signed in: {login.describe()}"
    finally:
        authprobe_idp.outage(0)
    _signed_in(page, authprobe_profile, authprobe_idp, who, trip, "sign in once the IdP is back")

