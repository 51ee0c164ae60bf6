"""Provisioning channels that work through the app's own screens.

- `ScreenChannel`: the admin screen, driven by the profile's recipes while signed in as the
  admin account of the settings (E2E_ADMIN_EMAIL / E2E_ADMIN_PASSWORD).
- `SignupChannel`: the app's own sign-up and activation through the browser and the
  mailbox; it deletes through the user's own "delete my account" screens, signing in
  however it still can (known password, a pending activation mail, or a reset by mail).

Both use browser contexts of their own that are never traced: they type passwords.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page
from pydantic import SecretStr

from authprobe.errors import FlowError, ProvisioningUnavailable, RecipeStepError, WaitTimeout
from authprobe.flows.account import activate, sign_up
from authprobe.flows.reset import request_reset, reset_link, use_reset_link
from authprobe.flows.session import SignIn, sign_in, submit_mfa_code, submit_password, submit_recovery_code
from authprobe.oob.mail import MailSource
from authprobe.oob.otp import Totp
from authprobe.pages.admin import AdminPage, DeleteAccountPage
from authprobe.profile import Channel, TargetProfile
from authprobe.provisioning.channels import Account, Removal
from authprobe.provisioning.users import new_password

OpenContext = Callable[[], BrowserContext]


class ScreenChannel:
    """The admin screen, as a person with the admin account would use it."""

    name: Channel = "admin_screen"

    def __init__(self, open_context: OpenContext, profile: TargetProfile, admin_email: str,
                 admin_password: SecretStr, admin_totp: Totp | None = None) -> None:
        self._open_context = open_context
        self._profile = profile
        self._email, self._password, self._totp = admin_email, admin_password, admin_totp
        self._page: Page | None = None

    def _admin_page(self, fresh: bool = False) -> AdminPage:
        if self._page is None or fresh:
            self.close()
            page = self._open_context().new_page()
            signed = sign_in(page, self._profile, self._email, self._password, self._totp)
            if signed.outcome != "signed_in":
                page.context.close()
                hint = (" (it asks for a second factor: set E2E_ADMIN_TOTP_SECRET)"
                        if signed.outcome == "mfa_required" else f": {signed.message}")
                raise FlowError(f"the admin account {self._email} could not sign in to the admin "
                                f"screen{hint}; check E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD")
            self._page = page
        return AdminPage(self._page, self._profile)

    def _run(self, operation: Callable[[AdminPage], bool]) -> bool:
        """Play an operation; False: the screen shows no such user.

        A failed step or a missing row can also mean the admin's own session ended (idle TTL,
        a signing-key rotation) and the screen is a sign-in page: sign in once more and try
        again before believing either. Never an "absent" from a signed-out admin."""
        try:
            if operation(self._admin_page()):
                return True
        except RecipeStepError:
            pass
        return operation(self._admin_page(fresh=True))

    def creates_with_role(self) -> bool:
        recipe = self._profile.admin_screen.create_user if self._profile.admin_screen else None
        return recipe is not None and "{role}" in recipe.model_dump_json()

    def create(self, email: str, password: SecretStr, role: str) -> None:
        self._run(lambda admin: admin.create_user(email, password.get_secret_value(), role))

    def set_role(self, email: str, role: str) -> None:
        if not self._run(lambda admin: admin.change_role(email, role)):
            raise FlowError(f"the admin screen shows no user {email} to give the role {role}; "
                            "check the profile's [admin_screen.set_role] recipe")

    def deactivate(self, account: Account) -> Removal:
        return "deleted" if self._run(lambda admin: admin.deactivate_user(account.email)) else "absent"

    def delete(self, account: Account) -> Removal:
        return "deleted" if self._run(lambda admin: admin.delete_user(account.email)) else "absent"

    def close(self) -> None:
        if self._page is not None:
            self._page.context.close()
            self._page = None


class SignupChannel:
    """Self-registration through the UI and the mailbox; removal by the user themselves."""

    name: Channel = "signup"

    def __init__(self, open_context: OpenContext, profile: TargetProfile, inbox: MailSource,
                 mail_timeout: float) -> None:
        self._open_context = open_context
        self._profile = profile
        self._inbox = inbox
        self._mail_timeout = mail_timeout

    def creates_with_role(self) -> bool:
        return False

    def create(self, email: str, password: SecretStr, role: str) -> None:
        context = self._open_context()
        try:
            page = context.new_page()
            signed_up = sign_up(page, self._profile, email, password)
            if not signed_up.accepted:
                raise FlowError(f"sign-up of throwaway user {email} was refused: {signed_up.message}")
            if self._profile.policy.email_verification_required:
                activation = activate(page, self._profile, self._inbox, email, self._mail_timeout)
                if not activation.activated:
                    raise FlowError(f"activation of throwaway user {email} failed: "
                                    f"{activation.message}")
        finally:
            context.close()

    def set_role(self, email: str, role: str) -> None:
        raise ProvisioningUnavailable("sign-up cannot choose a role")

    def deactivate(self, account: Account) -> Removal:
        raise ProvisioningUnavailable("sign-up has no deactivate operation")

    def delete(self, account: Account) -> Removal:
        if not account.intended:
            return "absent"  # an address only: the check never meant an account to exist
        if account.password is None:
            raise ProvisioningUnavailable("its password is unknown to this run, so it cannot "
                                          "sign in to delete itself")
        context = self._open_context()
        try:
            page = context.new_page()
            password = self.sign_in_somehow(page, account, reset_to=new_password())
            DeleteAccountPage(page, self._profile).delete_account(
                account.email, password.get_secret_value())
            return "deleted"
        except RecipeStepError as exc:
            raise FlowError(f"self-service deletion of {account.email}: {exc}") from None
        finally:
            context.close()

    def restore_password(self, account: Account) -> None:
        """Make the account's known password work again (a pool account a check reset)."""
        assert account.password is not None
        context = self._open_context()
        try:
            self.sign_in_somehow(context.new_page(), account, reset_to=account.password)
        finally:
            context.close()

    def sign_in_somehow(self, page: Page, account: Account, reset_to: SecretStr) -> SecretStr:
        """Sign in as the account, whatever the check did to it; returns the password in use.

        The known password first; then an activation mail left unread; then a reset by mail
        to `reset_to`.
        """
        assert account.password is not None
        password = account.password
        signed = self._sign_in(page, account, password)
        if signed.outcome == "refused" and self._activate_if_pending(page, account.email):
            signed = self._sign_in(page, account, password)
        if signed.outcome == "refused":  # the check changed the password: reset it by mail
            password = reset_to
            request_reset(page, self._profile, account.email)
            link = reset_link(self._inbox, self._profile, account.email, self._mail_timeout)
            use_reset_link(page, self._profile, link, password)
            signed = self._sign_in(page, account, password)
        if signed.outcome != "signed_in":
            raise FlowError(f"could not sign in as {account.email} to delete it: {signed.outcome}"
                            + (f" ({signed.message})" if signed.message else ""))
        return password

    def _sign_in(self, page: Page, account: Account, password: SecretStr) -> SignIn:
        """Password, then a second factor if asked: the last recovery code (checks use the
        first ones), else a fresh code (TOTP, or texted)."""
        result = submit_password(page, self._profile, account.email, password)
        if result.outcome != "mfa_required":
            return result
        if account.recovery_codes:
            rescued = submit_recovery_code(page, self._profile, account.email,
                                           account.recovery_codes[-1])
            if rescued.outcome == "signed_in" or account.second_factor is None:
                return rescued
        if account.second_factor is None:
            return result
        return submit_mfa_code(page, self._profile, account.email, account.second_factor())

    def _activate_if_pending(self, page: Page, email: str) -> bool:
        """Open an activation mail the check left unread (an account it never activated)."""
        try:
            return activate(page, self._profile, self._inbox, email, timeout=1.0).activated
        except WaitTimeout:
            return False
