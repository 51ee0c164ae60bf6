"""The shipped suite's own rules (`pytest e2e/ --browser chromium`); its fixtures (all named
`authprobe_…`, typed by authprobe.testing) and hooks come from authprobe's pytest plugin
(entry point `pytest11: authprobe`), which registers them because this is the shipped suite.

settings + profile → target (sandbox or E2E_BASE_URL, preflighted) → browser options from
playwright.config.py → inbox, throwaway users, hooks, journeys.
"""

from __future__ import annotations

import pytest

from authprobe.profile import TargetProfile
from authprobe.profile.features import FEATURES, features_needed
from authprobe.target.app import Target


@pytest.fixture(scope="session", autouse=True)
def _preflight(authprobe_target: Target) -> None:
    """Resolve and preflight the target before any browser starts (bad config fails fast)."""


def missing(profile: TargetProfile, need: str) -> str | None:
    """The profile line that says the app lacks what a check needs: a feature, or a screen's
    element declared absent (`[locators.SCREEN] ELEMENT = false`)."""
    if need in FEATURES:
        return profile.missing(need)  # one of FEATURES: `in` narrows it
    screen, element = need.split(".")
    return f"locators.{screen}.{element} = false" if profile.lacks(screen, element) else None


def case_keys(node: pytest.Item, name: str) -> list[str]:
    """`check[value]` for each parameter value of this case (`test_x[signature]`): how a
    profile names one case of a parametrized check in [unsupported] and [accepted_risks]."""
    callspec = getattr(node, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return [f"{name}[{value}]" for value in params if isinstance(value, str)]


@pytest.fixture(autouse=True)
def _honour_profile_support(request: pytest.FixtureRequest, authprobe_profile: TargetProfile) -> None:
    """Skip checks the profile declares unsupported, or that need a feature the profile says the
    app lacks ([features]); expect accepted risks to fail (strict)."""
    name = request.node.originalname or request.node.name
    needed = features_needed(((m.name, m.args) for m in request.node.iter_markers()),
                             request.fixturenames)
    lacking = [reason for need in needed if (reason := missing(authprobe_profile, need))]
    if lacking:
        pytest.skip(f"target {authprobe_profile.name} lacks what this check needs: {'; '.join(lacking)}")
    keys = [*case_keys(request.node, name), name]  # one case of a check, then the whole check
    reason = next((found for key in keys if (found := authprobe_profile.unsupported.get(key))), None)
    if reason:
        pytest.skip(f"unsupported by target {authprobe_profile.name}: {reason}")
    risk = next((found for key in keys if (found := authprobe_profile.accepted_risks.get(key))), None)
    if risk:
        request.applymarker(pytest.mark.xfail(
            reason=f"accepted risk of target {authprobe_profile.name}: {risk}", strict=True))
