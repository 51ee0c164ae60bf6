"""Roles: the profile's role × page/endpoint matrix, in the UI and straight at the backend.

A hidden link is not protection, so every resource is also requested directly with the
user's own cookies. A role change must hold at the user's next request, without re-login.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page
from pytest_playwright import CreateContextCallback

from authprobe.flows.access import DirectRequest, PageVisit, open_page, request_directly
from authprobe.flows.session import sign_in
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import Expected
from authprobe.pages.account import AccountShell
from authprobe.pages.admin import AdminPage
from authprobe.profile import Resource, TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.testing import MakeJourney, SignedInPage

pytestmark = pytest.mark.roles
REFUSED_STATUSES = {401, 403, 404}


def _matrix(profile: TargetProfile) -> list[Resource]:
    if not profile.roles.resources:
        pytest.skip(f"target {profile.name} lists no roles.resources in its profile")
    return profile.roles.resources


def _signed_in_page(new_context: CreateContextCallback, profile: TargetProfile, user: ThrowawayUser) -> Page:
    page = new_context().new_page()
    result = sign_in(page, profile, user.email, user.password)
    assert result.outcome == "signed_in", (
        f"setup: {user.role} user {user.email} could not sign in: {result.outcome} "
        f"({result.message}) at {result.url}"
    )
    return page


def _page_loaded(visit: PageVisit) -> bool:
    status_ok = visit.status is not None and 200 <= visit.status < 300
    return (status_ok and visit.final_path == visit.path and not visit.shows_forbidden
            and not visit.shows_sign_in)


def _backend_refused(answer: DirectRequest, profile: TargetProfile, resource: Resource) -> bool:
    if answer.status in REFUSED_STATUSES:
        return True
    return 300 <= answer.status < 400 and answer.location_path in (
        profile.paths.login, *resource.refused_by_redirect_to)


def _nav_violation(shell: AccountShell, resource: Resource, role: str) -> str | None:
    if resource.nav_link is None:
        return None
    link = shell.nav_link(resource.nav_link)
    offered = link.count() > 0 and link.first.is_visible()
    allowed = role in resource.allowed
    if offered == allowed or (offered and resource.nav_link_for_all):
        return None
    what = "does not offer" if allowed else "offers"
    return (f"{role}: the navigation {what} the link {resource.nav_link!r} to {resource.path} "
            f"(allowed roles {resource.allowed}) at {shell.page.url}")


def _ui_violations(page: Page, profile: TargetProfile, role: str) -> list[str]:
    problems = []
    for resource in (r for r in profile.roles.resources if r.kind == "page"):
        visit = open_page(page, profile, resource.path)
        if role in resource.allowed and not _page_loaded(visit):
            problems.append(f"{role} may use {resource.path} but it did not load: {visit.describe()}")
        elif role not in resource.allowed and _page_loaded(visit):
            problems.append(f"{role} may not use {resource.path} but it loaded: {visit.describe()}")
    shell = AccountShell(page, profile)
    shell.open()
    for resource in profile.roles.resources:
        if (problem := _nav_violation(shell, resource, role)) is not None:
            problems.append(problem)
    return problems


def _backend_violations(
    context: BrowserContext, profile: TargetProfile, role: str, timeout_s: float,
    resources: list[Resource] | None = None,
) -> list[str]:
    problems = []
    for resource in resources if resources is not None else profile.roles.resources:
        answer = request_directly(context, resource.path, timeout_s)
        if role in resource.allowed and not 200 <= answer.status < 300:
            problems.append(f"{role} may use {resource.kind} {resource.path} but the backend "
                            f"refused it: {answer.describe()}")
        elif role not in resource.allowed and not _backend_refused(answer, profile, resource):
            problems.append(f"{role} may not use {resource.kind} {resource.path} but the backend "
                            f"answered: {answer.describe()}")
    return problems


@pytest.mark.severity1
def test_each_role_is_offered_and_shown_exactly_its_pages(
    authprobe_signed_in: SignedInPage, authprobe_profile: TargetProfile,
) -> None:
    _matrix(authprobe_profile)
    problems: list[str] = []
    for role in authprobe_profile.roles.names:
        page, _ = authprobe_signed_in(role)
        problems.extend(_ui_violations(page, authprobe_profile, role))
        page.context.close()
    assert not problems, (
        "role matrix broken in the UI (a page loads or is offered outside its roles, or is "
        "refused to a role allowed to use it):\n  " + "\n  ".join(problems)
    )


@pytest.mark.severity1
def test_backend_refuses_every_resource_outside_the_role_even_when_requested_directly(
    authprobe_signed_in: SignedInPage, authprobe_profile: TargetProfile, authprobe_settings: Settings,
) -> None:
    _matrix(authprobe_profile)
    problems: list[str] = []
    for role in authprobe_profile.roles.names:
        page, _ = authprobe_signed_in(role)
        problems.extend(_backend_violations(page.context, authprobe_profile, role,
                                            authprobe_settings.http_timeout))
        page.context.close()
    assert not problems, (
        "a hidden link is not protection: requested directly with the user's own session "
        "cookies, the backend serves resources outside the user's role (or refuses allowed "
        "ones):\n  " + "\n  ".join(problems)
    )


def _downgrade_plan(profile: TargetProfile) -> tuple[str, str, list[Resource]]:
    """The most privileged role, the default role, and what the first has that the second lacks."""
    resources = _matrix(profile)
    high = max(profile.roles.names, key=lambda role: sum(role in r.allowed for r in resources))
    low = profile.roles.default
    lost = [r for r in resources if high in r.allowed and low not in r.allowed]
    if not lost:
        pytest.skip(f"in target {profile.name} role {high} can use nothing role {low} cannot")
    return high, low, lost


def _downgrade_violations(
    page: Page, profile: TargetProfile, low: str, lost: list[Resource], timeout_s: float,
) -> list[str]:
    """Checked from the user's very next request on, with no sign-in in between."""
    problems = []
    for resource in lost:
        if resource.kind == "page":
            visit = open_page(page, profile, resource.path)
            if _page_loaded(visit):
                problems.append(f"the page still loads after the downgrade: {visit.describe()}")
    problems.extend(_backend_violations(page.context, profile, low, timeout_s, lost))
    shell = AccountShell(page, profile)
    shell.open()
    for resource in lost:
        if (problem := _nav_violation(shell, resource, low)) is not None:
            problems.append(problem)
    return problems


def _roles_agree(trip: Journey, user: ThrowawayUser, high: str, low: str) -> None:
    ui, backend = trip.ui.read(), trip.backend.read()
    stale = [view for view in (ui, backend) if view.roles is not None and high in view.roles]
    missing = [view for view in (ui, backend) if view.roles is not None and low not in view.roles]
    assert not stale and not missing, (
        f"after the downgrade of {user.email} from {high} to {low}, the session still reports "
        f"the old role (or lacks the new one)\n  {ui.describe()}\n  {backend.describe()}"
    )
    trip.check("UI and backend agree on the downgraded role",
               Expected(authenticated=True, email=user.email))


def _assert_downgrade_holds(
    page: Page, profile: TargetProfile, user: ThrowawayUser, high: str, low: str,
    lost: list[Resource], trip: Journey, settings: Settings,
) -> None:
    problems = _downgrade_violations(page, profile, low, lost, settings.http_timeout)
    if problems:
        problems += [trip.ui.read().describe(), trip.backend.read().describe()]
    assert not problems, (
        f"a role downgrade must take effect at the user's next request: {user.email} was "
        f"moved from {high} to {low} without signing in again, yet:\n  " + "\n  ".join(problems)
    )
    _roles_agree(trip, user, high, low)


def _signed_in_before_downgrade(
    new_context: CreateContextCallback, profile: TargetProfile, users: ThrowawayUsers, settings: Settings,
    high: str, lost: list[Resource], tag: str,
) -> tuple[ThrowawayUser, Page]:
    """A signed-in user of the higher role, proven to have the access the downgrade removes."""
    user = users.create(role=high, tag=tag)
    page = _signed_in_page(new_context, profile, user)
    problems = _backend_violations(page.context, profile, high, settings.http_timeout, lost)
    assert not problems, "setup: the higher role lacks access it should have:\n  " + "\n  ".join(
        problems)
    return user, page


@pytest.mark.changes_account("role")
@pytest.mark.severity1
def test_role_downgrade_by_an_admin_channel_holds_at_the_next_request(
    new_context: CreateContextCallback, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    high, low, lost = _downgrade_plan(authprobe_profile)
    user, page = _signed_in_before_downgrade(new_context, authprobe_profile, authprobe_users,
                                             authprobe_settings, high, lost, "downgrade-api")
    channel = authprobe_users.set_role(user.email, low)
    _assert_downgrade_holds(page, authprobe_profile, user, high, low, lost,
                            authprobe_journey(page, f"{high} → {low} by {channel}"), authprobe_settings)


def _admin_role(profile: TargetProfile) -> str:
    admin_path = profile.paths.admin
    if admin_path is None:
        pytest.skip(f"target {profile.name} has no admin screen (paths.admin)")
    for resource in profile.roles.resources:
        if resource.path == admin_path and resource.allowed:
            return resource.allowed[0]
    pytest.skip(f"the role matrix of {profile.name} does not say who may open {admin_path}")


@pytest.mark.changes_account("role")
@pytest.mark.severity1
@pytest.mark.needs("admin_screen")
def test_role_downgrade_on_the_admin_screen_holds_at_the_next_request(
    new_context: CreateContextCallback, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_journey: MakeJourney, authprobe_target: Target,
    authprobe_untraced_context: CreateContextCallback,
) -> None:
    high, low, lost = _downgrade_plan(authprobe_profile)
    admin_role = _admin_role(authprobe_profile)
    user, page = _signed_in_before_downgrade(new_context, authprobe_profile, authprobe_users,
                                             authprobe_settings, high, lost, "downgrade-ui")

    # The account the profile's admin-screen recipes run as, if the run has one (an app may
    # keep its user administration for staff accounts); else a throwaway user of the admin role.
    operator = (ThrowawayUser(authprobe_target.admin_email, authprobe_target.admin_password, admin_role)
                if authprobe_target.admin_email and authprobe_target.admin_password
                else authprobe_users.create(role=admin_role, tag="admin"))
    # never traced or filmed: a failure's kept artifacts must not hold the admin's password
    admin_page = _signed_in_page(authprobe_untraced_context, authprobe_profile, operator)
    admin = AdminPage(admin_page, authprobe_profile)
    admin.open()
    admin.change_role(user.email, low)
    recipe = admin.recipes.set_role
    if recipe is None or not any(step.expect for step in recipe.steps):  # else it checked itself
        assert admin.status_message.count() > 0 and admin.error_alert.count() == 0, (
            f"setup: the admin screen did not confirm the role change of {user.email} to {low} "
            f"at {admin_page.url}: {admin.error_alert.all_inner_texts()}"
        )
    _assert_downgrade_holds(page, authprobe_profile, user, high, low, lost,
                            authprobe_journey(page, f"{high} → {low} on the admin screen"),
                            authprobe_settings)
