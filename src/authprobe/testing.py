"""What checks import to type authprobe's fixtures: the shipped suite's and a team's own tests.

The fixtures come from authprobe's pytest plugin in an authprobe run (the shipped suite,
`--authprobe`, or `authprobe = true` in the pytest ini), all named `authprobe_…` so that a
team's own `settings`, `target` or `users` fixture, or pytest-django's `settings`, never
collide with them. Most give a plain value whose class lives with its job
(`authprobe_profile` a `authprobe.profile.TargetProfile`, `authprobe_users` a
`authprobe.provisioning.users.ThrowawayUsers`); the factories and the few types made for
tests are defined here, once, as pytest-playwright exports `CreateContextCallback`:

    from authprobe.testing import MakeJourney

    def test_ours(page, authprobe_profile, authprobe_users, authprobe_journey: MakeJourney): ...

Nothing here depends on the plugin; the plugin imports these (never the other way round).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from playwright.sync_api import BrowserContext, Page

from authprobe.flows.mfa import TotpEnrollment
from authprobe.oob.authenticator import VirtualAuthenticator
from authprobe.oob.devices import Device
from authprobe.oob.otp import Totp
from authprobe.oracle.journey import Journey
from authprobe.provisioning.users import ThrowawayUser

__all__ = [
    "DeviceContexts",
    "MakeJourney",
    "MakeAuthenticator",
    "MakeMfaUser",
    "MakePasskeyDevice",
    "MfaUser",
    "PasskeyDevice",
    "JudgesPage",
    "RequireHook",
    "SignedInPage",
]


class MakeJourney(Protocol):
    """`authprobe_journey`: a Journey that cross-checks UI and backend of `page` after each step."""

    def __call__(self, page: Page, name: str, /) -> Journey: ...


@dataclass(frozen=True)
class MfaUser:
    """A throwaway user who enrolled TOTP through the UI, with the codes enrolment showed."""

    user: ThrowawayUser
    enrollment: TotpEnrollment
    totp: Totp


class MakeMfaUser(Protocol):
    """`authprobe_mfa_user`: a new throwaway user of `role` (the default role if None), TOTP enrolled."""

    def __call__(self, role: str | None = None, tag: str = "mfa") -> MfaUser: ...


class SignedInPage(Protocol):
    """`authprobe_signed_in`: a page of a user of `role`, signed in (from stored state where it holds)."""

    def __call__(self, role: str, /) -> tuple[Page, ThrowawayUser]: ...


class RequireHook(Protocol):
    """`authprobe_require_hook`: skip the check unless the profile and settings give this test hook."""

    def __call__(self, name: str, /) -> None: ...


class JudgesPage(Protocol):
    """`authprobe_judges_page`: in the real-time lane, a page on the target the check's arm used
    (under pytest-xdist another worker's target may be); this check's own `page` when it is ours."""

    def __call__(self, base_url: str, /) -> Page: ...


class MakeAuthenticator(Protocol):
    """`authprobe_authenticator`: a virtual authenticator (passkeys) in `page`'s tab."""

    def __call__(self, page: Page, /) -> VirtualAuthenticator: ...


@dataclass(frozen=True)
class PasskeyDevice:
    """A device for passkeys: its own browser context at the origin WebAuthn accepts, a page,
    and the page's virtual authenticator."""

    name: str
    page: Page
    authenticator: VirtualAuthenticator


class MakePasskeyDevice(Protocol):
    """`authprobe_passkey_device`: a new passkey device called `name`."""

    def __call__(self, name: str, /) -> PasskeyDevice: ...


class DeviceContexts(Protocol):
    """`authprobe_devices`: browser contexts that each reach the target from a device's own address."""

    def open(self, name: str, *, inside: Iterable[str] = (), outside: Iterable[str] = (),
             headers: dict[str, str] | None = None) -> tuple[Device, BrowserContext]:
        """A device whose address lies in one `inside` network (if given), in no `outside` one,
        and a browser context that leaves from it; the check skips where none can be had."""
        ...

    def device(self, name: str, *, inside: Iterable[str] = (), outside: Iterable[str] = ()) -> Device:
        """Such a device alone (for a request from its address outside any browser)."""
        ...

    def open_any(self, name: str) -> BrowserContext:
        """A device's context where devices can be had, else a plain one (this machine's address)."""
        ...
