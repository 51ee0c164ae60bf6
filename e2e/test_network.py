"""Where users come from: admin networks, sessions bound to their address, sign-in limits per
address and per account, and test hooks that answer only their own network.

Each browser here is a device with its own source address (`authprobe_devices`, typed by
authprobe.testing.DeviceContexts): a loopback relay per device against a target on this machine,
the proxies of E2E_DEVICES against staging. Each check runs only for what the profile's
[network] (or [hooks] networks) states.
"""

from __future__ import annotations

import ipaddress

import pytest
from playwright.sync_api import Browser, Page
from pydantic import SecretStr
from pytest_playwright import CreateContextCallback

from authprobe.flows.access import open_page
from authprobe.flows.session import sign_in
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import BackendSession, Expected, replay_cookies
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, new_password
from authprobe.security.hygiene import call_hooks, hook_lock_problems
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.testing import DeviceContexts, MakeJourney

pytestmark = pytest.mark.network


def _admin_networks(profile: TargetProfile) -> list[str]:
    if profile.network.admin_networks is None:
        pytest.skip(f"target {profile.name} states no [network] admin_networks in its profile")
    return profile.network.admin_networks


def _role_of(wanted: list[str], users: ThrowawayUsers, what: str) -> str:
    role = next((role for role in wanted if role in users.roles_available()), None)
    if role is None:
        pytest.skip(f"this run cannot make a user of the {what} roles {wanted}: "
                    + users.provisioner.unavailable("set_role"))
    return role


def _an_address_in(network: str) -> str:
    net = ipaddress.ip_network(network, strict=False)
    return str(net.network_address + 1 if net.num_addresses > 1 else net.network_address)


def _refused_sign_in(page: Page, profile: TargetProfile, user: ThrowawayUser, trip: Journey,
                     step: str, why: str) -> None:
    with trip.step(step, Expected(authenticated=False)):
        result = sign_in(page, profile, user.email, user.password)
    assert result.outcome == "refused", f"{why}: the sign-in ended in '{result.outcome}' at {result.url}"
    assert result.message, f"{why}: the sign-in was refused without a message to the user"


def _admin_pages(profile: TargetProfile, role: str) -> list[str]:
    return [res.path for res in profile.roles.resources if res.kind == "page" and role in res.allowed
            and not set(res.allowed) - set(profile.network.admin_roles)]


@pytest.mark.severity1
def test_an_admin_outside_the_admin_networks_is_refused_even_claiming_to_be_inside(
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_devices: DeviceContexts,
    authprobe_journey: MakeJourney,
) -> None:
    networks = _admin_networks(authprobe_profile)
    role = _role_of(authprobe_profile.network.admin_roles, authprobe_users, "admin")
    admin = authprobe_users.create(role=role, tag="admin-away")
    away, context = authprobe_devices.open("outside the admin networks", outside=networks)
    page = context.new_page()
    _refused_sign_in(page, authprobe_profile, admin, authprobe_journey(page, "admin from outside"),
                     f"sign in as {admin.role} from {away.address}",
                     f"an {admin.role} signed in from {away.address}, outside {networks}")

    claimed = _an_address_in(networks[0])
    forged, context = authprobe_devices.open("outside, forging its address", outside=networks, headers={
        "X-Forwarded-For": claimed, "X-Real-IP": claimed, "Forwarded": f"for={claimed}"})
    page = context.new_page()
    _refused_sign_in(page, authprobe_profile, admin,
                     authprobe_journey(page, "admin forging a forwarded-for header"),
                     f"sign in from {forged.address} with X-Forwarded-For: {claimed}",
                     f"the app took the client's own X-Forwarded-For ({claimed}) as its address: an "
                     f"{admin.role} signed in from {forged.address}, outside {networks}")


@pytest.mark.severity1
@pytest.mark.changes_account("role")
def test_a_session_that_becomes_an_admins_outside_the_admin_networks_ends_there(
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_devices: DeviceContexts,
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    """The admin range holds at every request, not only at the password step."""
    networks = _admin_networks(authprobe_profile)
    role = _role_of(authprobe_profile.network.admin_roles, authprobe_users, "admin")
    if not authprobe_users.can_restore_role():
        pytest.skip("this run cannot change a user's role")
    pages = _admin_pages(authprobe_profile, role)
    if not pages:
        pytest.skip("the profile's [roles] list no page only the admin roles may open")
    member = authprobe_users.create(tag="promoted-away")
    away, context = authprobe_devices.open("outside the admin networks", outside=networks)
    page = context.new_page()
    with authprobe_journey(page, "promoted outside").step("sign in", Expected(authenticated=True,
                                                                    email=member.email)):
        assert sign_in(page, authprobe_profile, member.email, member.password).outcome == "signed_in"
    authprobe_users.set_role(member.email, role)
    for path in pages:
        visit = open_page(page, authprobe_profile, path)
        assert visit.shows_sign_in or visit.shows_forbidden, (
            f"a session made an {role}'s while at {away.address}, outside {networks}, opened "
            f"{path}: the admin networks are checked at sign-in only ({visit.describe()})")
    backend = BackendSession(context.request, authprobe_profile.session_probe,
                             authprobe_settings.http_timeout).read()
    assert role not in (backend.roles or ()), (
        f"from {away.address}, outside {networks}, the backend still grants {role}: "
        + backend.describe())


@pytest.mark.severity1
def test_a_bound_session_replayed_from_another_address_is_dead(
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_devices: DeviceContexts,
    authprobe_journey: MakeJourney, browser: Browser, authprobe_target: Target, authprobe_settings: Settings,
) -> None:
    bound = authprobe_profile.network.bound_roles
    if not bound:
        pytest.skip(f"target {authprobe_profile.name} binds no role's sessions to an address "
                    "([network] bound_roles)")
    role = _role_of(bound, authprobe_users, "bound")
    admin = role in authprobe_profile.network.admin_roles
    inside = (authprobe_profile.network.admin_networks or []) if admin else []
    user = authprobe_users.create(role=role, tag="bound")
    home, context = authprobe_devices.open("where the user signed in", inside=inside)
    page = context.new_page()
    with authprobe_journey(page, "bound session").step(
            "sign in", Expected(authenticated=True, email=user.email)):
        assert sign_in(page, authprobe_profile, user.email, user.password).outcome == "signed_in"

    elsewhere = authprobe_devices.device("another address", inside=inside)
    replayed = replay_cookies(browser, authprobe_target.base_url, context.cookies(),
                              authprobe_profile.session_probe, authprobe_settings.http_timeout,
                              proxy=elsewhere.proxy_option(),
                              ignore_https_errors=authprobe_target.trust.ignore)
    assert not replayed.authenticated, (
        f"a session of the {role} role signed in at {home.address} works from "
        f"{elsewhere.address}: it follows its cookie anywhere\n  {replayed.describe()}")


def _signs_in(page: Page, profile: TargetProfile, trip: Journey, step: str, user: ThrowawayUser,
              allowed: bool) -> str:
    """Sign `user` in with the right password, expecting it to work or to be refused by a limit."""
    expected = Expected(authenticated=True, email=user.email) if allowed else Expected(authenticated=False)
    with trip.step(step, expected):
        result = sign_in(page, profile, user.email, user.password, expect_throttle=True)
    return f"{result.outcome}: {result.message}" if result.message else result.outcome


@pytest.mark.severity2
def test_failed_sign_ins_are_limited_per_address_and_not_across_devices(
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_devices: DeviceContexts,
    authprobe_journey: MakeJourney,
) -> None:
    """Judges the scopes the profile states: [network] signin_limit (per address: other devices
    still sign in), account_lockout (per account: no device signs that account in, other
    accounts still sign in from the noisy address), or both (that address is refused too)."""
    network, lockout = authprobe_profile.network, authprobe_profile.lockout
    # the per-account lockout: [network] account_lockout, or [lockout] password (one promise)
    per_address = network.signin_limit
    per_account = network.account_lockout or (lockout.password if lockout is not None else None)
    if per_address is None and per_account is None:
        pytest.skip(f"target {authprobe_profile.name} states no [network] signin_limit or account_lockout "
                    "(nor [lockout] password) in its profile")
    if per_address and per_account and per_address.attempts < per_account.attempts:
        pytest.skip(f"target {authprobe_profile.name}: [network] signin_limit.attempts is below "
                    "account_lockout.attempts, so one address cannot lock an account")
    user, other_user = authprobe_users.create(tag="limited"), authprobe_users.create(tag="limited-other")
    exempt = per_address.exempt if per_address else []
    noisy, context = authprobe_devices.open("the device that keeps failing", outside=exempt)
    page = context.new_page()
    wrong = new_password()
    locking = per_account or per_address
    assert locking is not None  # skipped above
    failures = locking.attempts
    emails = [user.email] * failures
    if per_address:  # the rest of the address's allowance on addresses nobody has
        emails += [authprobe_users.address("nobody") for _ in range(per_address.attempts - failures)]
    for email in emails:
        assert sign_in(page, authprobe_profile, email, wrong, expect_throttle=True).outcome == "refused"
    scope = " and ".join(name for name, limit in (("per address", per_address), ("per account", per_account))
                         if limit)
    held = _signs_in(page, authprobe_profile, authprobe_journey(page, "after too many failures"),
                     "the right password from the same device", user, allowed=False)
    assert held.startswith("refused"), (
        f"{len(emails)} failed sign-ins from {noisy.address} ({failures} for {user.email}), and the next "
        f"one from there still signed in: no limit {scope} ({held})")

    quiet, other = authprobe_devices.open("another device", outside=exempt)
    page = other.new_page()
    elsewhere = _signs_in(page, authprobe_profile, authprobe_journey(page, "another device meanwhile"),
                          f"sign in from {quiet.address}", user, allowed=per_account is None)
    if per_account is None:
        assert elsewhere.startswith("signed_in"), (
            f"the limit {noisy.address} earned locked out {quiet.address} too: sign-in limits leak "
            f"between addresses ({elsewhere})")
        return
    assert elsewhere.startswith("refused"), (
        f"{failures} wrong passwords for {user.email} from {noisy.address}, and the account still signed "
        f"in from {quiet.address}: no per-account lockout, though the profile states one "
        f"([network] account_lockout or [lockout] password) ({elsewhere})")
    page = other.new_page()  # the quiet device's limit is its own: another account signs in there
    bystander = _signs_in(page, authprobe_profile, authprobe_journey(page, "another account, another device"),
                          f"sign {other_user.email} in from {quiet.address}", other_user, allowed=True)
    assert bystander.startswith("signed_in"), (
        f"failed sign-ins from {noisy.address} refused {other_user.email} on {quiet.address} too: "
        f"sign-in limits leak between addresses ({bystander})")
    page = context.new_page()
    neighbour = _signs_in(page, authprobe_profile, authprobe_journey(page, "another account, same device"),
                          f"sign {other_user.email} in from {noisy.address}", other_user,
                          allowed=per_address is None)
    if per_address is None:
        assert neighbour.startswith("signed_in"), (
            f"locking {user.email} also refused {other_user.email} from {noisy.address}: the "
            f"per-account lockout spreads to the address ({neighbour})")
    else:
        assert neighbour.startswith("refused"), (
            f"{len(emails)} failed sign-ins from {noisy.address}, and {other_user.email} still signed in "
            f"from there: no per-address limit, though the profile states [network] signin_limit "
            f"({neighbour})")


@pytest.mark.severity1
@pytest.mark.whole_target  # a hook that wrongly answers would change the target for everyone
def test_test_hooks_refuse_other_networks_even_with_the_right_token(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_devices: DeviceContexts, authprobe_settings: Settings, authprobe_target: Target,
    authprobe_untraced_context: CreateContextCallback,
) -> None:
    networks = authprobe_profile.hooks.networks
    if not networks or not authprobe_profile.hooks.all():
        pytest.skip(f"target {authprobe_profile.name} states no [hooks] networks in its profile")
    if authprobe_target.hook_token is None:
        pytest.skip("E2E_HOOK_TOKEN is not set")
    user = authprobe_users.create(tag="hook-network")
    assert sign_in(page, authprobe_profile, user.email, user.password).outcome == "signed_in"
    away = authprobe_devices.device("outside the hook networks", outside=networks)
    # the hook token goes in request headers: a context that is never traced keeps it out of artifacts
    context = authprobe_untraced_context(proxy=away.proxy_option())
    token: dict[str, SecretStr] = {authprobe_profile.hooks.token_header: authprobe_target.hook_token}
    values = {"email": user.email, "idle_seconds": 10 ** 7, "age_seconds": 10 ** 7,
              "seconds": 10 ** 7, "kind": "reset", "grace_seconds": 0}
    statuses = call_hooks(context.request, authprobe_profile.hooks, values, authprobe_settings.http_timeout,
                          {f"from {away.address} with the right token": token})
    problems = hook_lock_problems(statuses)
    assert not problems, f"test hooks open beyond {networks}:\n  " + "\n  ".join(problems)
    after = BackendSession(page.context.request, authprobe_profile.session_probe,
                           authprobe_settings.http_timeout).read()
    assert after.authenticated, (
        f"a hook call from {away.address} was refused but still changed the target: the user's "
        "session ended\n  " + after.describe())
