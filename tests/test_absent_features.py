"""Features an app lacks, screens that show nobody, a name for an email, users nobody can remove.

A profile says once what the app lacks ([features]); every check needing it skips naming the
key, doctor stops probing its screen. The oracle compares a screen without identity on
signed in or out only, and a UI that shows a name against the name rendered for the user.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from authprobe.cli import doctor_checks
from authprobe.e2e.conftest import missing
from authprobe.errors import AuthMismatch
from authprobe.oracle.identity import remember_fields
from authprobe.oracle.session import Expected, SessionView, assert_consistent, find_mismatches
from authprobe.plugin import run_end
from authprobe.profile import load_profile
from authprobe.profile.features import features_needed
from authprobe.provisioning.leftovers import cannot_remove, checks_making_users
from authprobe.settings import load_settings

BARE = load_profile("targets/shapes/bare.toml")
SANDBOX = load_profile("sandbox")
SUITE = Path(__file__).resolve().parent.parent / "e2e"
BACKEND = SessionView("backend", True, email="qa+downgrade-3f2a9c-rabc@example.com")


def test_a_feature_the_profile_says_is_absent_skips_every_check_that_needs_it() -> None:
    reset = features_needed([("reset", ()), ("severity1", ())], [])
    via_fixture = features_needed([("sessions", ())], ["page", "authprobe_mfa_user"])
    admin = features_needed([("needs", ("admin_screen",))], [])
    assert [missing(BARE, need) for need in (*reset, *via_fixture, *admin)] == [
        "features.reset_by_mail = false", "features.mfa = false", "features.admin_screen = false"]
    assert [missing(SANDBOX, need) for need in (*reset, *via_fixture, *admin)] == [None, None, None]


def test_a_needs_marker_naming_nothing_known_is_refused() -> None:
    with pytest.raises(ValueError, match="names no feature"):
        features_needed([("needs", ("reset",))], [])


def test_doctor_leaves_the_screens_of_absent_features_alone_and_says_why() -> None:
    target = SimpleNamespace(admin_token=None, hook_token=None, base_url="http://127.0.0.1:1",
                             sms_account_sid=None, sms_auth_token=None, idp_url=None)
    settings = load_settings()
    probed = {name for name, _ in doctor_checks._checks(settings, BARE, target)}  # type: ignore[arg-type]
    assert {"page reset_request", "page mfa_setup", "page admin"}.isdisjoint(probed)
    assert "page login" in probed
    notes = {r.name: r.line() for r in doctor_checks._absent_notes(BARE)}
    assert notes["page reset_request"] == ("· page reset_request: not probed: features.reset_by_mail "
                                           "= false, its checks skip")
    assert doctor_checks._absent_notes(SANDBOX) == []


def test_a_screen_without_identity_is_compared_on_signed_in_or_out_only() -> None:
    hidden = SessionView("ui", True, identity_hidden=True, evidence="password_change screen")
    assert find_mismatches(hidden, BACKEND, Expected(True, email="someone-else@example.com")) == [
        "backend shows qa+downgrade-3f2a9c-rabc@example.com, expected someone-else@example.com"]
    with pytest.raises(AuthMismatch) as caught:  # a caught misconfiguration: no misleading UI line
        assert_consistent(SessionView("ui", False, identity_hidden=True), BACKEND, step="open")
    assert "UI and backend disagree on whether anyone is signed in" in str(caught.value)
    assert "this screen shows no identity" not in str(caught.value)
    assert "the backend's is trusted here" in hidden.describe()


def test_a_ui_showing_a_name_is_compared_with_the_name_of_the_backends_user() -> None:
    as_user = SessionView("ui", True, shown="qa+downgrade-3f2a9c-rabc", shown_as="{email_user}")
    assert find_mismatches(as_user, BACKEND, Expected(True, email=BACKEND.email)) == []
    other = SessionView("ui", True, shown="qa+other-000000-rabc", shown_as="{email_user}")
    assert find_mismatches(other, BACKEND, None) == ["UI and backend disagree on who is signed in"]
    remember_fields(BACKEND.email or "", {"first_name": "Ada", "last_name": "Lovelace"})
    full = SessionView("ui", True, shown="Ada  Lovelace", shown_as="{first_name} {last_name}")
    assert find_mismatches(full, BACKEND, Expected(True, email=BACKEND.email)) == []
    wrong = SessionView("ui", True, shown="Grace Hopper", shown_as="{first_name} {last_name}")
    assert find_mismatches(wrong, BACKEND, Expected(True, email=BACKEND.email)) == [
        "UI and backend disagree on who is signed in",
        "ui shows 'Grace Hopper', expected 'Ada Lovelace'"]


def test_no_removal_channel_is_said_up_front_with_an_estimate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    assert checks_making_users(SUITE) > 10
    assert cannot_remove(SANDBOX, 40) is None
    assert cannot_remove(BARE, 40, ["admin_api", "command"]) is None  # users delete themselves
    keeps = tmp_path / "keeps.toml"  # a stack with no admin API, screen, command or self-delete
    keeps.write_text('name = "keeps"\n[features]\nmfa = false\n', encoding="utf-8")
    said = cannot_remove(load_profile(str(keeps)), 40)
    assert said is not None and "a run will leave about 40" in said and "[self_service]" in said
    monkeypatch.setenv("E2E_TARGET", str(keeps))
    config: Any = SimpleNamespace(args=[str(SUITE)])
    header = run_end.pytest_report_header(config)
    assert header and header[0].startswith("authprobe: no channel can remove users of keeps: "
                                           f"a run will leave about {checks_making_users(SUITE)}")
    doctor = doctor_checks._removal_line(load_settings(), load_profile(str(keeps)))
    assert doctor and doctor[0].mark == doctor_checks.WARN
    monkeypatch.setenv("E2E_TARGET", "targets/shapes/bare.toml")
    monkeypatch.setenv("E2E_PROVISION", "admin_api")  # delete by the API: without its token, nothing
    assert doctor_checks._removal_line(load_settings(), BARE)[0].said.startswith(
        "no channel can remove users of sandbox_shapes_bare")
