"""Passkey devices for a check ([passkeys]): `authprobe_authenticator` adds a virtual
authenticator to a page's tab, `authprobe_passkey_device` opens a browser context at the
origin WebAuthn accepts with a page and an authenticator of its own (one device).

WebAuthn refuses an IP address as relying-party ID, so a target at `http://127.0.0.1:PORT`
is browsed for passkeys as `http://localhost:PORT` (`Passkeys.origin`). Such a context's
`base_url` is that origin (every context of a check marked `passkeys`), so everything that
asks relative to it, the journey's session endpoint with the context's cookies included, asks
the host the browser uses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from authprobe.errors import AuthenticatorUnavailable
from authprobe.oob.authenticator import VirtualAuthenticator
from authprobe.profile import Passkeys, TargetProfile
from authprobe.target.app import Target
from authprobe.testing import MakeAuthenticator, MakePasskeyDevice, PasskeyDevice


@pytest.fixture
def authprobe_passkeys(authprobe_profile: TargetProfile) -> Passkeys:
    """The profile's [passkeys]; the check skips without it."""
    if authprobe_profile.passkeys is None:
        pytest.skip(f"target {authprobe_profile.name} states no [passkeys] in its profile")
    return authprobe_profile.passkeys


@pytest.fixture
def authprobe_passkey_origin(authprobe_passkeys: Passkeys, authprobe_target: Target) -> str:
    """The origin browsers use for passkeys; an IP address there skips (WebAuthn refuses it)."""
    origin = authprobe_passkeys.origin(authprobe_target.base_url)
    host = urlsplit(origin).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return origin
    pytest.skip(f"the target's base URL has the IP address {host}, which WebAuthn refuses as a "
                "relying-party ID; set passkeys.origin_host to a name of that host")


@pytest.fixture
def authprobe_authenticator(authprobe_passkeys: Passkeys, browser_name: str) -> Iterator[MakeAuthenticator]:
    """Factory: a virtual authenticator in `page`'s tab, with the profile's resident keys and
    user verification; every one it made is removed when the check ends."""
    if browser_name != "chromium":
        pytest.skip(f"passkey checks need Chromium's virtual authenticator (DevTools' WebAuthn "
                    f"domain); this run uses {browser_name}")
    made: list[VirtualAuthenticator] = []

    def add(page: Page) -> VirtualAuthenticator:
        try:
            authenticator = VirtualAuthenticator.add(
                page, resident_key=authprobe_passkeys.resident_key,
                user_verification=authprobe_passkeys.user_verification,
                transport=authprobe_passkeys.transport)
        except AuthenticatorUnavailable as exc:
            pytest.skip(str(exc))
        made.append(authenticator)
        return authenticator

    yield add
    for authenticator in made:
        authenticator.remove()


@pytest.fixture(autouse=True)
def _authprobe_passkey_contexts(request: pytest.FixtureRequest) -> None:
    """A check marked `passkeys` browses the target at the passkey origin: every context it
    opens (`page` too) gets that `base_url`, through pytest-playwright's own per-test marker
    `browser_context_args` (autouse, so before any context of the check exists). Other tests
    ask for nothing here, so a team's own tests without a target never start one for it."""
    if request.node.get_closest_marker("passkeys") is None:
        return
    profile: TargetProfile = request.getfixturevalue("authprobe_profile")
    if profile.passkeys is None:
        return
    target: Target = request.getfixturevalue("authprobe_target")
    origin = profile.passkeys.origin(target.base_url)
    request.node.add_marker(pytest.mark.browser_context_args(base_url=origin), append=False)


@pytest.fixture
def authprobe_passkey_device(request: pytest.FixtureRequest, authprobe_authenticator: MakeAuthenticator,
                             authprobe_passkey_origin: str,
                             new_context: Callable[..., BrowserContext]) -> MakePasskeyDevice:
    """Factory: a device for passkeys, a context of its own at the passkey origin (its cookies
    are that host's), its page, and the page's virtual authenticator."""
    if request.node.get_closest_marker("passkeys") is None:
        pytest.fail("authprobe_passkey_device needs the check marked passkeys (its contexts open at "
                    f"{authprobe_passkey_origin}, the host WebAuthn accepts); add "
                    "@pytest.mark.passkeys", pytrace=False)

    def open_device(name: str) -> PasskeyDevice:
        page = new_context().new_page()
        return PasskeyDevice(name, page, authprobe_authenticator(page))

    return open_device
