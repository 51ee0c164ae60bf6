"""Concurrent and shared-device sign-ins: identities never cross, and nothing of a previous
user survives on a shared browser.

The simultaneous sign-ins are driven from one thread, interleaved: every form is submitted
before any outcome is awaited, so the server really handles them overlapping in time.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_playwright import CreateContextCallback

from authprobe.flows.session import open_account_together, sign_in, sign_in_together, sign_out
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import Expected, find_mismatches
from authprobe.pages.account import AccountShell
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers
from authprobe.testing import DeviceContexts, MakeJourney

pytestmark = pytest.mark.concurrency
USERS = 5
DEVICES_PER_USER = 2


def _disagreement(trip: Journey, expected: Expected, label: str,
                  extra: list[str] | None = None) -> str | None:
    """One line of evidence when UI, backend and expectation do not all agree, else None."""
    ui, backend = trip.ui.read(), trip.backend.read()
    found = find_mismatches(ui, backend, expected) + (extra or [])
    if not found:
        return None
    return f"{label}: " + "; ".join(found) + f"\n    {ui.describe()}\n    {backend.describe()}"


def _identity_problems(trips: list[tuple[Journey, ThrowawayUser]], when: str) -> list[str]:
    found = (_disagreement(trip, Expected(authenticated=True, email=user.email),
                           f"{trip.name} ({when})") for trip, user in trips)
    return [problem for problem in found if problem]


@pytest.mark.severity1
def test_simultaneous_signins_each_see_only_their_own_identity(
    new_context: CreateContextCallback, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney,
) -> None:
    people = [authprobe_users.create(tag=f"crowd{n}") for n in range(USERS)]
    devices = [(new_context().new_page(), user) for user in people for _ in range(DEVICES_PER_USER)]
    trips = [(authprobe_journey(page, f"{user.email} device {n % DEVICES_PER_USER + 1}"), user)
             for n, (page, user) in enumerate(devices)]

    results = sign_in_together(authprobe_profile, [(page, u.email, u.password) for page, u in devices])
    failed = [f"{r.email}: {r.outcome} ({r.message}) at {r.url}" for r in results
              if r.outcome != "signed_in"]
    assert not failed, "simultaneous sign-ins must each succeed:\n  " + "\n  ".join(failed)
    problems = _identity_problems(trips, "right after signing in together")

    loads = open_account_together(authprobe_profile, [page for page, _ in devices])
    problems += _identity_problems(trips, "account page loaded by everyone at once")
    assert not problems, (
        f"{len(devices)} browsers signed in and loaded the account page at the same moment; "
        "each must see only its own identity, in the UI and on the backend:\n  "
        + "\n  ".join(problems) + "\n  account loads ended at: " + ", ".join(loads)
    )


@pytest.mark.severity1
def test_logout_on_one_device_follows_the_logout_scope(
    authprobe_devices: DeviceContexts, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney,
) -> None:
    """Two devices, each from its own address where devices can be had."""
    if authprobe_profile.policy.concurrent_sessions != "allowed":
        pytest.skip(f"target {authprobe_profile.name} allows one session per user (profile policy)")
    user = authprobe_users.create(tag="two-devices")
    scope = authprobe_profile.policy.logout_scope
    first, second = (authprobe_devices.open_any(f"device {n}").new_page() for n in (1, 2))
    trips = {page: authprobe_journey(page, f"device {n}") for n, page in enumerate((first, second), 1)}
    for page in (first, second):
        with trips[page].step("sign in", Expected(authenticated=True, email=user.email)):
            sign_in(page, authprobe_profile, user.email, user.password)
    with trips[first].step("sign out on device 1", Expected(authenticated=False)):
        sign_out(page=first, profile=authprobe_profile)

    other_stays = scope == "device"
    AccountShell(second, authprobe_profile).open()
    ui, backend = trips[second].ui.read(), trips[second].backend.read()
    assert ui.authenticated == other_stays and backend.authenticated == other_stays, (
        f"logout scope is '{scope}' (profile policy): after signing out on device 1, device 2 "
        f"must be {'still signed in' if other_stays else 'signed out too'}\n  "
        f"{ui.describe()}\n  {backend.describe()}"
    )
    trips[second].check(f"device 2 after logout on device 1 (scope {scope})",
                        Expected(authenticated=other_stays, email=user.email if other_stays else None))


def _traces_of(user: ThrowawayUser, old_cookies: set[str], shell: AccountShell) -> list[str]:
    """What of `user` is still on this browser: storage entries, cookies, page text."""
    email = user.email.lower()
    traces = [f"web storage {key} = {value[:80]!r}" for key, value in shell.stored_values().items()
              if email in value.lower() or email in key.lower()
              or any(secret in value for secret in old_cookies)]
    for cookie in shell.page.context.cookies():
        value = cookie["value"]
        readable = value.replace("%40", "@").lower()
        if value in old_cookies:
            traces.append(f"cookie {cookie['name']} is still the one {user.email} had")
        elif email in readable:
            traces.append(f"cookie {cookie['name']} names {user.email}")
    if email in shell.visible_text().lower():
        traces.append(f"the page at {shell.page.url} shows {user.email}")
    return traces


def _back_through_history(page: Page, profile: TargetProfile, trip: Journey,
                          previous: ThrowawayUser, now: Expected, steps: int) -> list[str]:
    problems = []
    shell = AccountShell(page, profile)
    for n in range(1, steps + 1):
        if page.go_back(wait_until="domcontentloaded") is None and n > 1:
            break
        shown = previous.email.lower() in shell.visible_text().lower()
        problem = _disagreement(trip, now, f"back button x{n} → {page.url}",
                                [f"the page shows {previous.email}"] if shown else [])
        if problem:
            problems.append(problem)
    return problems


@pytest.mark.severity1
def test_shared_device_keeps_nothing_of_the_previous_user(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney,
) -> None:
    alice, bob = authprobe_users.create(tag="shared-a"), authprobe_users.create(tag="shared-b")
    trip = authprobe_journey(page, "shared device")
    shell = AccountShell(page, authprobe_profile)
    with trip.step("A signs in", Expected(authenticated=True, email=alice.email)):
        sign_in(page, authprobe_profile, alice.email, alice.password)
    shell.open()
    alice_cookies = {c["value"] for c in page.context.cookies()
                     if c["name"] == authprobe_profile.session_probe.cookie_name}
    with trip.step("A signs out", Expected(authenticated=False)):
        sign_out(page, authprobe_profile)

    problems = [f"after A signed out: {t}" for t in _traces_of(alice, alice_cookies, shell)]
    problems += _back_through_history(page, authprobe_profile, trip, alice, Expected(authenticated=False), 1)

    with trip.step("B signs in", Expected(authenticated=True, email=bob.email)):
        sign_in(page, authprobe_profile, bob.email, bob.password)
    problems += [f"after B signed in: {t}" for t in _traces_of(alice, alice_cookies, shell)]
    problems += _back_through_history(page, authprobe_profile, trip, alice,
                                      Expected(authenticated=True, email=bob.email), 3)
    assert not problems, (
        f"on a shared browser, nothing of the previous user ({alice.email}) may remain after "
        f"they sign out and {bob.email} signs in — not in the header, web storage, cookies, "
        "or behind the back button:\n  " + "\n  ".join(problems)
    )
