"""The identity provider of the profile's `[sso]` for a check: `authprobe_idp` (discovery,
admin API, test hooks) and `authprobe_identities` (throwaway IdP identities, removed after)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import APIRequestContext, Playwright

from authprobe.errors import AuthprobeError, IdpConfigError
from authprobe.plugin.runtime import stop_run
from authprobe.profile import TargetProfile
from authprobe.provisioning.identities import POOL_ROLE, Identities, parse_identity_pool
from authprobe.provisioning.pool import AccountPool
from authprobe.provisioning.users import ThrowawayUsers
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.idp import IdentityProvider, discover


@pytest.fixture(scope="session")
def authprobe_idp_api(playwright: Playwright, authprobe_target: Target, authprobe_profile: TargetProfile,
                      authprobe_settings: Settings) -> Iterator[APIRequestContext]:
    """A cookie-less, untraced HTTP client on the IdP's origin (its tokens never reach a trace)."""
    if authprobe_profile.sso is None:
        pytest.skip(f"target {authprobe_profile.name} states no [sso] in its profile")
    if not authprobe_target.idp_url:  # like a missing SMS account: said by doctor, skipped here
        pytest.skip("the built-in target this run started runs no identity provider (its [launch] "
                    "args lack --idp)" if authprobe_target.process is not None else
                    "E2E_IDP_URL is not set, so the [sso] checks cannot reach the identity provider")
    untraced = type(playwright.request).new_context.__get__(playwright.request)
    request = untraced(base_url=authprobe_target.idp_url, timeout=authprobe_settings.http_timeout * 1000,
                       ignore_https_errors=authprobe_target.trust.ignore)
    yield request
    request.dispose()


@pytest.fixture(scope="session")
def authprobe_idp(authprobe_idp_api: APIRequestContext, authprobe_target: Target,
                  authprobe_profile: TargetProfile, authprobe_settings: Settings) -> IdentityProvider:
    """The IdP as the profile describes it; a discovery document that does not answer stops the run."""
    sso = authprobe_profile.sso
    assert sso is not None  # authprobe_idp_api skipped otherwise
    try:
        found = discover(authprobe_target.idp_url, sso, authprobe_settings.http_timeout,
                         authprobe_target.tls())
    except AuthprobeError as exc:
        stop_run(exc)
        raise
    return IdentityProvider(authprobe_idp_api, sso, found, authprobe_target.idp_admin_token,
                            authprobe_target.idp_hook_token, authprobe_settings.http_timeout)


@pytest.fixture(scope="session")
def authprobe_identity_pool(authprobe_profile: TargetProfile, authprobe_settings: Settings,
                            authprobe_target: Target) -> AccountPool | None:
    sso = authprobe_profile.sso
    if sso is None or sso.users != "pool":
        return None
    if authprobe_settings.sso_pool is None:
        stop_run(IdpConfigError('The profile says [sso] users = "pool" but E2E_SSO_POOL is not set; '
                                'set it to [{"email": …, "password": …}] of existing IdP identities.'))
    assert authprobe_settings.sso_pool is not None
    try:
        accounts = parse_identity_pool(authprobe_settings.sso_pool)
    except IdpConfigError as exc:
        stop_run(exc)
        raise
    return AccountPool(accounts, scope=f"{authprobe_target.idp_url}#{POOL_ROLE}")


@pytest.fixture
def authprobe_identities(authprobe_idp: IdentityProvider, authprobe_users: ThrowawayUsers,
                         authprobe_identity_pool: AccountPool | None) -> Iterator[Identities]:
    """IdP identities for one check; each address is one of the check's throwaway users too, so
    the local account the app makes at the first "Sign in with …" goes with them."""
    made = Identities(authprobe_idp, lambda tag, password: authprobe_users.address(tag, password),
                      authprobe_identity_pool)
    yield made
    failures = made.remove_all()
    if failures:
        pytest.fail("; ".join(failures), pytrace=False)
