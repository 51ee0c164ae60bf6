"""The shipped suite's own rules (`pytest e2e/ --browser chromium`); its fixtures (all named
`authprobe_…`, typed by authprobe.testing) and hooks come from authprobe's pytest plugin
(entry point `pytest11: authprobe`), which registers them because this is the shipped suite.

settings + profile → target (sandbox or E2E_BASE_URL, preflighted) → browser options from
playwright.config.py → inbox, throwaway users, hooks, journeys.
"""

from __future__ import annotations

import pytest

from authprobe.profile import TargetProfile
from authprobe.target.app import Target


@pytest.fixture(scope="session", autouse=True)
def _preflight(authprobe_target: Target) -> None:
    """Resolve and preflight the target before any browser starts (bad config fails fast)."""


@pytest.fixture(autouse=True)
def _honour_profile_support(request: pytest.FixtureRequest, authprobe_profile: TargetProfile) -> None:
    """Skip checks the profile declares unsupported; expect accepted risks to fail (strict)."""
    name = request.node.originalname or request.node.name
    reason = authprobe_profile.unsupported.get(name)
    if reason:
        pytest.skip(f"unsupported by target {authprobe_profile.name}: {reason}")
    risk = authprobe_profile.accepted_risks.get(name)
    if risk:
        request.applymarker(pytest.mark.xfail(
            reason=f"accepted risk of target {authprobe_profile.name}: {risk}", strict=True))
