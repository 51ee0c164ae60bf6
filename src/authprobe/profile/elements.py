"""Every screen authprobe drives, its elements and their default wording: the one registry.

The page objects (authprobe.pages) read their defaults from here, `[locators.SCREEN]` is
checked against it, and the onboarding reference lists it, so a screen element cannot exist
without being documented. An element without a default is one only some apps have: the
profile defines it, and the pages use it only then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from authprobe.profile.screens import LocatorSpec


@dataclass(frozen=True)
class Element:
    """One element of a screen: its default locator (None: only a profile gives one) and
    what the checks do with it."""

    default: LocatorSpec | None
    does: str


@dataclass(frozen=True)
class ScreenSpec:
    """One screen: what it is, the `[paths]` key it opens at (None: reached through another
    screen) and its elements, `heading` (its landmark) first."""

    does: str
    path: str | None
    elements: Mapping[str, Element] = field(default_factory=dict)

    def defaults(self) -> dict[str, LocatorSpec]:
        """The elements with default wording (what a page object falls back on)."""
        return {name: e.default for name, e in self.elements.items() if e.default is not None}

    def optional(self) -> tuple[str, ...]:
        """The elements only a profile defines (the landmark aside: a screen without a default
        heading needs the profile's before it can be recognised)."""
        return tuple(name for name, e in self.elements.items() if e.default is None and name != "heading")


def _role(role: str, name: str | None = None) -> LocatorSpec:
    return LocatorSpec(role=role, name=name)


def _heading(name: str) -> Element:
    return Element(_role("heading", name), "the screen's landmark: seen means this screen is showing")


def _only(does: str) -> Element:
    return Element(None, does)


# Elements every screen has; a profile may override them per screen.
COMMON: Mapping[str, Element] = {
    "error_alert": Element(LocatorSpec(role="alert"), "where the screen shows an error (a refused "
                           "sign-in, a wrong code): checks read it to tell refusal from success"),
    "status_message": Element(LocatorSpec(role="status"), "where the screen shows a neutral notice"),
}

SCREENS: Mapping[str, ScreenSpec] = {
    "signup": ScreenSpec("the sign-up form", "signup", {
        "heading": _heading("Create an account"),
        "email_field": Element(LocatorSpec(label="Email"), "the new user's address"),
        "password_field": Element(LocatorSpec(label="Password"), "the new user's password"),
        "submit_button": Element(_role("button", "Sign up"), "sends the form"),
        "phone_field": Element(LocatorSpec(label="Mobile number"),
                               "the mobile number, filled only with [sms] activation"),
        "password_confirm_field": _only("the password again, for forms that ask twice"),
    }),
    "signup_done": ScreenSpec("what the app shows after a sign-up ('check your email')", None, {
        "heading": _heading("Check your email"),
    }),
    "activation": ScreenSpec("where an activation link lands", None, {
        "heading": _heading("Account activated"),
        "failed_heading": Element(_role("heading", "Activation failed"),
                                  "shown for a used, expired or forged link (link checks expect it)"),
        "confirm_button": _only("a button that completes activation on that page (apps that keep "
                                "mail-client prefetchers from activating); pressed when shown"),
    }),
    "sms_activation": ScreenSpec("after a sign-up with a mobile number: the texted code ([sms] "
                                 "activation)", None, {
        "heading": _heading("Check your phone"),
        "code_field": Element(LocatorSpec(label="Activation code"), "the texted code"),
        "submit_button": Element(_role("button", "Activate"), "sends the code"),
    }),
    "login": ScreenSpec("the sign-in form", "login", {
        "heading": _heading("Sign in"),
        "email_field": Element(LocatorSpec(label="Email"), "the address"),
        "password_field": Element(LocatorSpec(label="Password"), "the password"),
        "submit_button": Element(_role("button", "Sign in"), "sends the form"),
        "password_confirm_field": _only("a second password field, for forms that have one"),
        "reset_link": _only("the 'forgot password?' link (profile check counts it)"),
        "sso_button": _only("the 'Sign in with …' button or link that hands sign-in to the identity "
                            "provider of [sso]"),
        "passkey_button": Element(_role("button", "Sign in with a passkey"), "signs in with a "
                                  "passkey and no password ([passkeys] passwordless)"),
        "throttled_message": Element(LocatorSpec(text="too many", exact=False), "the app's 'too many "
                                     "attempts' wording after a sign-in: the check ends as an "
                                     "environment failure, not a finding ([policy] signin_rate)"),
    }),
    "idp_login": ScreenSpec("the identity provider's own sign-in screen ([sso]; on E2E_IDP_URL)", None, {
        "email_field": Element(LocatorSpec(label="Email"), "the identity's address (Keycloak: "
                               "'Username or email')"),
        "password_field": Element(LocatorSpec(label="Password"), "its password; seen on the IdP's "
                                  "origin means the IdP asks to sign in"),
        "submit_button": Element(_role("button", "Sign in"), "sends the form"),
        "next_button": _only("for IdPs that ask for the address first: pressed between the two fields"),
    }),
    "idp_consent": ScreenSpec("the identity provider's 'allow this app?' screen, answered when it "
                              "shows", None, {
        "allow_button": Element(_role("button", "Allow"), "grants the app access"),
    }),
    "idp_logout": ScreenSpec("the identity provider's 'sign out?' confirmation, answered when the "
                             "app's sign-out passes through it (an IdP that cannot verify the "
                             "app's id_token_hint asks)", None, {
        "confirm_button": Element(_role("button", "Sign out"), "confirms the sign-out at the IdP"),
    }),
    "sign_in_refused": ScreenSpec("screens a refused sign-in is sent to instead of an error on the "
                                  "form", None, {
        "heading": _only("its landmark, if the app has such a screen"),
        "unverified_heading": _only("'verify your email first': a refusal of an unactivated account"),
        "locked_heading": _only("'account locked': a refusal of a locked or deactivated account"),
    }),
    "mfa_challenge": ScreenSpec("the second sign-in step: a TOTP, texted or recovery code", None, {
        "heading": _heading("Two-factor authentication"),
        "code_field": Element(LocatorSpec(label="Authentication code"), "the TOTP or texted code"),
        "submit_button": Element(_role("button", "Verify"), "sends the code"),
        "recovery_field": Element(LocatorSpec(label="Recovery code"), "a recovery code"),
        "recovery_button": Element(_role("button", "Use recovery code"), "sends the recovery code"),
        "resend_button": Element(_role("button", "Send a new code"), "asks for a new texted code ([sms])"),
        "passkey_button": Element(_role("button", "Use a passkey"), "answers the step with a "
                                  "passkey ([passkeys] second_factor)"),
        "recovery_switch": _only("a link or choice that leads to the recovery-code step, used first"),
        "recovery_switch_submit": _only("confirms recovery_switch when it is a choice"),
    }),
    "mfa_setup": ScreenSpec("TOTP enrolment: the key (text, input value or QR code), then a first "
                            "code", "mfa_setup", {
        "heading": _heading("Set up two-factor authentication"),
        "secret_text": Element(LocatorSpec(test_id="totp-secret"), "the key as text (spaces and "
                               "dashes ignored); absent: the key is read from the QR code"),
        "uri_text": Element(LocatorSpec(test_id="totp-uri"), "the otpauth:// URI as text"),
        "qr_image": Element(_role("img", "QR code"), "the QR code, read when no text shows the key"),
        "code_field": Element(LocatorSpec(label="Authentication code"), "the first code"),
        "submit_button": Element(_role("button", "Enable two-factor"), "sends it"),
        "method_submit": Element(_role("button", "Continue"), "past a method choice or welcome "
                                 "step; pressed only when the profile defines it or method_choice"),
        "method_choice": _only("the TOTP choice on a screen that offers several methods"),
    }),
    "mfa_enabled": ScreenSpec("after enrolment: recovery codes, if the app gives them here", None, {
        "heading": _heading("Two-factor authentication enabled"),
        "recovery_codes": Element(LocatorSpec(test_id="recovery-codes"), "the codes: list items, "
                                  "lines of a textarea, or a text block"),
    }),
    "recovery_codes": ScreenSpec("a separate screen that shows or generates recovery codes",
                                 "recovery_codes", {
        "heading": _heading("Recovery codes"),
        "recovery_codes": Element(LocatorSpec(test_id="recovery-codes"), "the codes, read as on "
                                  "mfa_enabled"),
        "generate_button": _only("pressed first, for screens that generate codes on demand"),
    }),
    "sms_setup": ScreenSpec("turning on text codes as the second factor ([sms] mfa)", "sms_setup", {
        "heading": _heading("Set up text message codes"),
        "number_field": Element(LocatorSpec(label="Mobile number"), "the test phone's number"),
        "send_button": Element(_role("button", "Send code"), "texts it a code"),
        "code_field": Element(LocatorSpec(label="Code from the text message"), "the texted code"),
        "submit_button": Element(_role("button", "Turn on text message codes"), "sends it"),
        "method_choice": _only("the text-message choice on a screen that sets up every factor"),
    }),
    "shell": ScreenSpec("the signed-in frame of every page: who is signed in, navigation, sign "
                        "out (opened at [paths] account)", "account", {
        "heading": _heading("Your account"),
        "current_user": Element(LocatorSpec(test_id="current-user"), "the identity the UI shows: "
                                "compared with the session endpoint's after every step"),
        "current_roles": Element(LocatorSpec(test_id="current-roles"), "the roles the UI shows "
                                 "(comma or space separated); absent: roles are not compared"),
        "sign_out_button": Element(_role("button", "Sign out"), "signs out; its showing also "
                                   "tells a signed-in page (sign-in outcomes, identity.absent_on); "
                                   "behind a 'sign out?' confirmation page: the button there, "
                                   "with steps = [{ click = the link }]"),
        "sign_in_link": Element(_role("link", "Sign in"), "shown to strangers"),
        "mfa_link": Element(_role("link", "Two-factor authentication"), "leads to TOTP setup"),
    }),
    "passkeys": ScreenSpec("where a signed-in user lists, adds and removes passkeys ([passkeys]; "
                           "opened at passkeys.register when set)", "passkeys", {
        "heading": _heading("Passkeys"),
        "add_button": Element(_role("button", "Add a passkey"), "starts a registration: the "
                              "browser's authenticator makes a passkey"),
        "passkey_list": Element(_role("list", "Your passkeys"), "the user's passkeys, one list "
                                "item each (its name, its remove button)"),
        "remove_button": Element(LocatorSpec(role="button", name="Remove", exact=False),
                                 "removes the passkey of the list item it is in"),
        "name_field": _only("a name the add form asks for: filled with a fresh one before add_button"),
        "add_choice": _only("a choice on the add form (what the passkey is for), checked before "
                            "add_button"),
        "remove_name_field": _only("removal by name in one form: the name typed here, then "
                                   "remove_button (not one inside each item) pressed"),
    }),
    "password_change": ScreenSpec("where a signed-in user changes their password", "password_change", {
        "heading": _heading("Change your password"),
        "current_password_field": Element(LocatorSpec(label="Current password"), "the old password"),
        "new_password_field": Element(LocatorSpec(label="New password"), "the new password"),
        "submit_button": Element(_role("button", "Change password"), "sends the form"),
        "done_message": Element(LocatorSpec(text="Your password has been changed.", exact=False),
                                "decides the verdict: seen means the change succeeded (the "
                                "password-change checks then judge the sessions by [policy])"),
        "new_password_confirm_field": _only("the new password again, for forms that ask twice"),
    }),
    "reauth": ScreenSpec("a 're-enter your password' prompt before sensitive screens; defining "
                         "[locators.reauth] turns answering it on", None, {
        "heading": _only("the prompt's landmark: seen after any navigation, it is answered"),
        "password_field": _only("the password field"),
        "submit_button": _only("sends it"),
    }),
    "reset_request": ScreenSpec("'forgot password?': asks for a reset mail", "reset_request", {
        "heading": _heading("Reset your password"),
        "email_field": Element(LocatorSpec(label="Email"), "the address"),
        "submit_button": Element(_role("button", "Send reset link"), "sends the request"),
    }),
    "reset_form": ScreenSpec("where a reset link lands: the new-password form", None, {
        "heading": _heading("Choose a new password"),
        "password_field": Element(LocatorSpec(label="New password"), "the new password"),
        "submit_button": Element(_role("button", "Set new password"), "sends it"),
        "invalid_heading": Element(_role("heading", "Reset link invalid"), "decides the verdict: "
                                   "a used, expired or forged link must show it"),
        "done_heading": Element(_role("heading", "Password changed"), "decides the verdict: "
                                "seen means the reset succeeded"),
        "password_confirm_field": _only("the new password again, for forms that ask twice"),
    }),
    "admin": ScreenSpec("the admin screen: users and roles (operations follow [admin_screen] "
                        "recipes; without a set_role recipe, a select labelled 'Role for {email}' "
                        "and a button 'Change role for {email}')", "admin", {
        "heading": _heading("Admin"),
    }),
    "forbidden": ScreenSpec("what a role is shown on a page it may not use", None, {
        "heading": _heading("Forbidden"),
    }),
    "delete_account": ScreenSpec("the user's own 'delete my account' screens, walked by [self_service] "
                                 "delete_account", None, {
        "heading": _only("its landmark, if a check needs to recognise it"),
    }),
}
