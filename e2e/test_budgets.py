"""Sign-in and protected pages within their budgets (the profile's `[budgets]`).

Slow auth passes every functional check and still costs users. The flows time each
sign-in and each protected page load; this check adds five of each and judges this
worker's samples so far on their median (and 95th percentile), never on one noisy moment
(src/authprobe/oracle/budgets.py). The other step kinds (MFA, sign-up, reset) are judged on the whole
run's samples at its end (by the plugin, once per run).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from authprobe.flows.access import open_page
from authprobe.flows.session import sign_out, submit_password
from authprobe.oracle.budgets import STEP_TIMES, StepKind, budget_problems
from authprobe.oracle.session import Expected
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUsers
from authprobe.testing import MakeJourney

pytestmark = pytest.mark.budgets
SAMPLES = 5
JUDGED: tuple[StepKind, ...] = ("sign_in", "page_load")


@pytest.mark.severity2
def test_sign_in_and_protected_pages_stay_within_their_budgets(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney,
) -> None:
    user = authprobe_users.create(tag="budget")
    trip = authprobe_journey(page, "step budgets")
    protected = authprobe_profile.paths.account
    for n in range(1, SAMPLES + 1):
        with trip.step(f"sign in ({n} of {SAMPLES})", Expected(authenticated=True, email=user.email)):
            result = submit_password(page, authprobe_profile, user.email, user.password)
        assert result.outcome == "signed_in", f"sign-in {n}: {result.outcome} ({result.message})"
        with trip.step(f"open {protected} ({n} of {SAMPLES})", Expected(authenticated=True)):
            open_page(page, authprobe_profile, protected)
        sign_out(page, authprobe_profile)
    problems = budget_problems(STEP_TIMES.samples, authprobe_profile.budgets, JUDGED)
    assert not problems, "auth steps slower than the profile's [budgets] allow:\n  " + "\n  ".join(problems)
