"""The run's sign-in pacer (authprobe.pacing): one budget per target and address, shared by
every check of the run and every pytest-xdist worker through a file in the state folder,
sized by the profile's [policy] signin_rate (unset: sign-ins are only counted)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from authprobe import pacing
from authprobe.profile import TargetProfile
from authprobe.settings import Settings
from authprobe.target.app import Target


def own_address(base_url: str) -> str:
    """The address a target on this machine sees the run's browsers come from."""
    host = urlsplit(base_url).hostname or ""
    try:
        return host if ipaddress.ip_address(host).is_loopback else pacing.THIS_MACHINE
    except ValueError:
        return "127.0.0.1" if host == "localhost" else pacing.THIS_MACHINE


def install_pacer(settings: Settings, profile: TargetProfile, target: Target) -> pacing.SigninPacer:
    rate = profile.policy.signin_rate
    budget = pacing.Budget(rate.per_address, rate.per_account, rate.window_seconds) if rate else None
    pacer = pacing.SigninPacer(Path(settings.state_dir) / "pacing" / "sign-ins.json",
                               target.base_url, budget)
    pacing.install(pacer, own_address(target.base_url))
    return pacer


@pytest.fixture(autouse=True)
def _authprobe_sign_in_pacing(request: pytest.FixtureRequest) -> Iterator[None]:
    """Installed once per process, by the first check that uses the profile (every sign-in
    does; the page fixtures need not ask for the target by name)."""
    if pacing.current() is None and "authprobe_profile" in request.fixturenames:
        install_pacer(request.getfixturevalue("authprobe_settings"),
                      request.getfixturevalue("authprobe_profile"),
                      request.getfixturevalue("authprobe_target"))
    yield
