"""Seeded defects: realistic bugs toggled by name, so the e2e suite can prove it catches them."""

from __future__ import annotations

from collections.abc import Iterable

from authprobe.errors import UnknownDefectError

CATALOGUE: dict[str, str] = {
    "client_only_logout": "logout clears the cookie but the server session stays valid",
    "ui_cached_identity": "header renders a cached display identity after the session is gone",
    "activation_not_required": "accounts can sign in before activating their email",
    "activation_link_reusable": "activation token is not consumed on use",
    "reset_link_reusable": "password reset token is not consumed on use",
    "reset_link_never_expires": "password reset token TTL is not checked",
    "reset_keeps_other_sessions": "password reset leaves the user's other sessions alive",
    "reset_breaks_for_second_role": "reset reports success but does not save for non-member roles",
    "reset_skips_mfa": "password reset silently turns MFA off",
    "password_change_keeps_other_sessions": "password change leaves the user's other sessions alive",
    "password_change_skips_current_password": "password change accepts any value as the current password",
    "mfa_skippable_by_navigation": "protected pages accept a session that skipped the MFA step",
    "totp_replay_accepted": "a TOTP code can be used twice (no last-used timecode check)",
    "recovery_code_reusable": "MFA recovery codes are not consumed on use",
    "role_downgrade_cached": "roles are cached in the session, so downgrades wait for re-login",
    "ui_hides_api_allows": "role-protected JSON APIs check authentication only, not role",
    "session_fixation": "session id is not rotated at sign-in",
    "cookie_missing_httponly": "session cookie lacks the HttpOnly flag",
    "enumeration_in_reset": "reset form tells whether an account exists for an email",
    "password_chars_stripped": "input sanitizer alters passwords at sign-up but not at login",
    "idle_timeout_not_enforced": "idle session TTL is not checked",
    "absolute_timeout_not_enforced": "absolute session lifetime is not checked: an active session lives on",
    "lockout_per_session": "wrong passwords are counted per browser session, so a fresh cookie "
                           "starts the count again",
    "lockout_message_enumerates": "unknown addresses are never locked: the lockout answer tells "
                                  "which accounts exist",
    "totp_guesses_unlimited": "wrong second-factor codes are never limited",
    "lockout_survives_reset": "a password reset leaves the account locked",
    "lockout_success_keeps_count": "a right password does not end the count of wrong ones: "
                                   "an owner's old typos lock them out later",
    "reset_mail_unlimited": "every reset request sends a mail: anyone can flood a user's inbox",
    "signup_unlimited": "sign-ups from one address are never limited",
    "reauth_skips_mfa": "a recent MFA success lets sign-in skip MFA ('trusted for this period')",
    "concurrent_session_crosstalk": "header identity comes from shared state, leaking across users",
    "shared_device_cache": "authenticated pages are cacheable (private, max-age) not no-store",
    "session_read_per_widget": "the account page's widgets each read the session endpoint themselves",
    "slow_role_lookup": "every signed-in page waits 2.5 s for the header's role lookup",
    "signin_race": "two sign-ins of one user within 2 s: a third of the time the later one "
                   "is lost (its session belongs to nobody)",
    "cors_reflects_origin": "JSON APIs echo any Origin with credentials allowed (and admit its preflight)",
    "retired_key_accepted_forever": "after a signing-key rotation the retired key's grace never ends",
    "rotation_drops_sessions_silently": "a key rotation ends every session in the API at once while "
                                        "the pages still show the user signed in",
    "admin_network_checked_at_signin_only": "the admin network is checked at sign-in only: a "
                                            "session that becomes an admin's elsewhere keeps working",
    "session_follows_cookie_anywhere": "an address-bound (admin) session is accepted from any address",
    "forwarded_for_trusted_from_anyone": "any client's X-Forwarded-For header is taken as its address",
    "hooks_open_to_any_network": "the test hooks answer the right token from any network",
    "signin_limit_shared_by_addresses": "failed sign-ins are counted for all addresses together: "
                                        "one device's mistakes lock every device out",
    "sms_code_reusable": "a texted sign-in code is not consumed on use",
    "sms_code_never_expires": "texted codes are accepted however old they are",
    "sms_resend_unlimited": "'send a new code' texts a code every time it is pressed",
    "sms_activation_code_unchecked": "sign-up activation by text accepts any six-digit code",
    "tokens_signed_with_retired_key": "during a rotation's grace window mailed links are signed "
                                      "with the retiring key, so they die when the grace ends",
    "sso_state_unchecked": "the SSO callback does not compare state with the one the browser was sent with",
    "sso_nonce_unchecked": "the ID token's nonce is not compared with the sign-in's own",
    "sso_audience_unchecked": "an ID token issued to another client (aud) is accepted",
    "sso_signature_unchecked": "the ID token is decoded without verifying its signature",
    "sso_jwks_cached_forever": "the IdP's keys are fetched once and never again: sign-in breaks "
                               "after a key rotation and retired keys are honoured forever",
    "sso_links_unverified_email": "an IdP identity with an unverified email is linked to the local "
                                  "account of that email",
    "sso_logout_keeps_backend_session": "signing out of an SSO session leaves its server session "
                                        "valid (\"the IdP's sign-out ends it anyway\")",
    "sso_logout_skips_idp": "signing out of an SSO session never visits the IdP, whose session "
                            "signs the next \"Sign in with\" straight back in",
    "sso_revocation_ignored": "SSO sessions are never refreshed, so an IdP-side sign-out or "
                              "disable never reaches the app",
    "passkey_challenge_reused": "a used passkey challenge is accepted again (issued challenges are "
                                "kept by value for any session and never used up)",
    "passkey_sign_count_ignored": "a passkey's sign count is not compared, so a cloned authenticator "
                                  "signs in",
    "passkey_other_users_credential": "the MFA step accepts any user's registered passkey",
    "passkey_kept_after_removal": "a removed passkey is hidden from the list but still signs in",
    "passkey_no_reauth": "adding a passkey skips the password re-entry",
}


def validate_defects(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a frozenset, or raise naming the unknown ones and the known ones."""
    chosen = frozenset(names)
    unknown = sorted(chosen - CATALOGUE.keys())
    if unknown:
        raise UnknownDefectError(
            f"Unknown defect {', '.join(unknown)}; known defects are: "
            f"{', '.join(sorted(CATALOGUE))}."
        )
    return chosen
