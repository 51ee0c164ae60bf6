"""UI/API shapes: variations that real auth stacks have, toggled by name, so the checker's
generic support for each is exercised. Unlike a defect, a shape is not a bug: the app stays
exactly as secure, it only looks or answers differently. No shape, no change at all."""

from __future__ import annotations

from collections.abc import Iterable

from authprobe.errors import UnknownShapeError

SHAPES: dict[str, str] = {
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
