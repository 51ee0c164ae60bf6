"""The admin-screen channel in a real browser on a real sandbox: an admin whose own session
has ended (idle TTL, a signing-key rotation) sees a sign-in page, which must never read as
"no such user" (a removal that removed nothing, a role that was never set)."""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

from authprobe.profile import load_profile
from authprobe.provisioning.channels import Account
from authprobe.provisioning.screen import ScreenChannel
from authprobe.target.environment import started_sandbox
from tests.test_signed_in_state import AdminApiUsers

PROFILE = load_profile("sandbox")


def test_an_admin_signed_out_meanwhile_signs_in_again_before_believing_a_user_absent(
    chromium: tuple[Playwright, Browser],
) -> None:
    playwright, browser = chromium
    target = started_sandbox()
    try:
        users = AdminApiUsers(playwright, target)
        admin = users.create(role="admin", tag="screen-admin")
        doomed, promoted = users.create(tag="doomed"), users.create(tag="promoted")
        channel = ScreenChannel(lambda: browser.new_context(base_url=target.base_url), PROFILE,
                                admin.email, admin.password)

        def roles() -> dict[str, str]:
            listed = users.api.get("/api/admin/users").json()["users"]
            return {user["email"]: user["role"] for user in listed}

        channel.set_role(promoted.email, "member")  # the admin signs in on the screen
        users.expire_sessions(target, admin.email)
        assert channel.delete(Account(doomed.email, doomed.password, "member")) == "deleted"
        assert doomed.email not in roles()

        users.expire_sessions(target, admin.email)
        channel.set_role(promoted.email, "editor")
        assert roles()[promoted.email] == "editor"
        channel.close()
    finally:
        target.stop()
