"""The shipped suite's own rules (`pytest e2e/ --browser chromium`); its fixtures and hooks
come from authprobe's pytest plugin (src/authprobe/plugin/__init__.py, entry point `pytest11: authprobe`).

settings + profile → target (sandbox or E2E_BASE_URL, preflighted) → browser options from
playwright.config.py → inbox, throwaway users, hooks, journeys.
"""

from __future__ import annotations

import pytest

from authprobe.profile import TargetProfile
from authprobe.target.app import Target


@pytest.fixture(scope="session", autouse=True)
def _preflight(target: Target) -> None:
    """Resolve and preflight the target before any browser starts (bad config fails fast)."""


@pytest.fixture(autouse=True)
def _honour_profile_support(request: pytest.FixtureRequest, profile: TargetProfile) -> None:
    """Skip checks the profile declares unsupported; expect accepted risks to fail (strict)."""
    name = request.node.originalname or request.node.name
    reason = profile.unsupported.get(name)
    if reason:
        pytest.skip(f"unsupported by target {profile.name}: {reason}")
    risk = profile.accepted_risks.get(name)
    if risk:
        request.applymarker(pytest.mark.xfail(
            reason=f"accepted risk of target {profile.name}: {risk}", strict=True))
