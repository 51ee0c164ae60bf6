"""UI/API shapes: variations that real auth stacks have, toggled by name, so the checker's
generic support for each is exercised. Unlike a defect, a shape is not a bug: the app stays
exactly as secure, it only looks or answers differently. No shape, no change at all."""

from __future__ import annotations

from collections.abc import Iterable

from authprobe.errors import UnknownShapeError

SHAPES: dict[str, str] = {
    "signup_extra_fields": "sign-up also requires a user name (unique), a first and a last name",
    "signout_in_menu": "the sign-out button sits inside a closed 'User menu' disclosure",
    "password_change_no_current": "the password-change form has no current-password field",
    "icon_button_names": "the sign-in button's accessible name starts with an icon font's text",
    "activation_confirm": "the activation link opens a page with a Confirm button; only its POST activates",
    "reauth": "sensitive screens first ask for the password again (always the first time after sign-in)",
    "totp_key_in_input": "the TOTP setup key is the value of a read-only input labelled 'Setup key'",
    "totp_key_in_attribute": "the TOTP setup key is only in a data-secret attribute",
    "totp_qr_only": "the TOTP setup key is only inside the QR code (a PNG image)",
    "recovery_separate_screen": "recovery codes are made on their own screen, /account/recovery-codes",
    "recovery_textarea": "recovery codes are lines of a read-only textarea, not list items",
    "signin_refused_screen": "right password, inactive account: a redirect to a screen, not a form error",
    "probe_selectors": "/api/session answers 401 with a 'pending' list; roles move to /api/me",
    "reset_notice_mail": "a reset request for an unknown address mails that address a notice",
    "nav_for_all": "the Editor area and Admin nav links are shown to every signed-in user",
    "activation_expired_message": "(with activation_confirm) a used link shows Confirm again, then fails",
    "account_no_identity": "the account pages (/account…, password change among them) show no identity",
    "identity_as_name": "the header shows the user's name (the part of the address before @), not the email",
    "no_admin_screen": "there is no admin screen: /admin answers 404",
    "no_reset_no_mfa": "there is no password reset (/reset) and no MFA (/account/mfa): both answer 404",
    "account_lockout": "5 wrong passwords in 5 minutes lock the account for every address (403)",
}

# Each of these says where the TOTP key is instead of the default text; two at once contradict.
EXCLUSIVE: tuple[frozenset[str], ...] = (
    frozenset({"totp_key_in_input", "totp_key_in_attribute", "totp_qr_only"}),
)


def validate_shapes(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a frozenset, or raise with one sentence: the unknown names and the
    known ones, or the names that cannot be combined."""
    chosen = frozenset(names)
    unknown = sorted(chosen - SHAPES.keys())
    if unknown:
        raise UnknownShapeError(
            f"Unknown shape {', '.join(unknown)}; known shapes are: {', '.join(sorted(SHAPES))}."
        )
    for group in EXCLUSIVE:
        clash = sorted(chosen & group)
        if len(clash) > 1:
            raise UnknownShapeError(
                f"Shapes {' and '.join(clash)} exclude each other; choose one of "
                f"{', '.join(sorted(group))}."
            )
    return chosen
