"""`[sso]`: sign-in handed to an OpenID Connect identity provider (the "Sign in with …" button).

The IdP is another app: its screens are page objects with their own `[locators.idp_login]` and
`[locators.idp_consent]`, its origin is E2E_IDP_URL (or the IdP a built-in target starts), and
its throwaway users come from its admin API (E2E_IDP_ADMIN_TOKEN) or a pool of identities that
exist already (E2E_SSO_POOL), for IdPs where nobody may create users.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.operations import HttpOperation
from authprobe.profile.session import jmespath_problem


class IdpAdminApi(_Strict):
    """The IdP's admin API, authorised by E2E_IDP_ADMIN_TOKEN; paths are on the IdP's origin."""

    token_header: str = Field(default="Authorization",
                              description="the header E2E_IDP_ADMIN_TOKEN goes in")
    token_prefix: str = Field(default="Bearer ", description="what precedes the token in that header")
    create_user: HttpOperation = Field(
        examples=[{"method": "POST", "path": "/api/admin/users",
                   "json": {"email": "{email}", "password": "{password}",
                            "email_verified": "{email_verified}"}}],
        description="makes an IdP identity ({email}, {password}, {email_verified}: true or false)")
    delete_user: HttpOperation = Field(description="removes the identity {email} (list 404 in ok_status)")
    sign_out_user: HttpOperation | None = Field(
        default=None, description="ends every IdP session of {email} and revokes its tokens (the "
        "revocation check; unset: it skips)")
    disable_user: HttpOperation | None = Field(
        default=None, description="disables {email} at the IdP (the revocation check's second case)")
    rotate_keys: HttpOperation | None = Field(
        default=None, description="the IdP's own signing-key rotation: a new key signs, the old one "
        "stays published (the rotation check; it changes the IdP for everyone, so only on an IdP "
        "of your own)")
    retire_keys: HttpOperation | None = Field(
        default=None, description="the rotated-out keys leave the IdP's JWKS")


class IdpHooks(_Strict):
    """Test-only endpoints of an IdP of your own (E2E_IDP_HOOK_TOKEN), like the test OP of the
    OpenID Foundation's relying-party certification: it misbehaves once, on purpose."""

    token_header: str = Field(default="X-Test-Hook-Token",
                              description="the header E2E_IDP_HOOK_TOKEN goes in")
    next_id_token: HttpOperation | None = Field(
        default=None, description="the next ID token issued for {email} is faulty in one way: "
        "{tamper} is audience, signature, issuer, expired or retired_key (the ID token checks; "
        "unset: they skip)")
    outage: HttpOperation | None = Field(
        default=None, description="the IdP answers nothing useful for {seconds} seconds (the "
        "'IdP unreachable during sign-in' check)")


class SsoPolicy(_Strict):
    """What the app promises about the two sessions, the app's and the IdP's."""

    sign_out_ends_idp_session: bool = Field(
        default=True, description="the app's sign-out also ends the IdP session (RP-initiated "
        "logout): the next 'Sign in with …' must ask for the IdP password again")
    revocation_within_seconds: float | None = Field(
        default=None, gt=0, description="an IdP-side sign-out or disable ends the app's session "
        "within this many seconds (at its next token refresh); unset: not promised, not checked")
    link_verified_email: bool = Field(
        default=False, description="an IdP identity whose verified email matches an existing "
        "local account signs in as that account; an unverified one never does, whatever this says")


class Sso(_Strict):
    """Sign-in through an OpenID Connect identity provider."""

    provider: str = Field(description="the IdP's name as the app's session endpoint says it (see "
                          "signed_in_with), e.g. 'google' or 'authprobe-id'")
    discovery: str = Field(
        default="/.well-known/openid-configuration", description="the IdP's discovery document, "
        "a path on E2E_IDP_URL (Keycloak: '/realms/NAME/.well-known/openid-configuration')")
    signed_in_with: str | None = Field(
        default=None, examples=["user.signed_in_with"], description="JMESPath to how the session "
        "endpoint says the user signed in (compared with provider); unset: not compared")
    users: str = Field(
        default="admin_api", pattern="^(admin_api|pool)$", description="where throwaway IdP "
        "identities come from: admin_api ([sso.admin_api]) or pool (E2E_SSO_POOL: "
        '[{"email": …, "password": …}], identities that exist already)')
    admin_api: IdpAdminApi | None = Field(default=None, description="the IdP's admin API")
    hooks: IdpHooks = Field(default=IdpHooks(), description="test-only endpoints of an IdP of your own")
    policy: SsoPolicy = Field(default=SsoPolicy(), description="what the app promises about the "
                              "app's and the IdP's sessions")

    @model_validator(mode="after")
    def _sources_named(self) -> Sso:
        if self.users == "admin_api" and self.admin_api is None:
            raise ValueError("sso.users is admin_api but there is no [sso.admin_api]; describe the "
                             "IdP's admin API or set users = \"pool\" and E2E_SSO_POOL")
        if self.signed_in_with is not None:
            problem = jmespath_problem(self.signed_in_with, "sso.signed_in_with")
            if problem:
                raise ValueError(problem)
        if not self.discovery.startswith("/"):
            raise ValueError("sso.discovery is a path on E2E_IDP_URL and starts with '/'")
        return self
