"""The real-time lane's scheduler: moments, the probe thread, arm and judge through files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from authprobe.errors import AuthprobeError
from authprobe.oracle.realtime import Lane, Probes, absolute_watch, idle_watches, margin, tolerance
from authprobe.plugin.realtime import parse_duration, stated_lifetime
from authprobe.profile import load_profile
from authprobe.selftest.mutants import ORDER_ENV
from authprobe.selftest.mutants_plugin import FIRST_TESTS_ENV

ROOT = Path(__file__).resolve().parent.parent


def test_durations_read_as_seconds_and_a_bad_one_is_one_sentence() -> None:
    assert [parse_duration(d) for d in ("90s", "30m", "1.5h", "45")] == [90, 1800, 5400, 45]
    with pytest.raises(pytest.UsageError, match="not a duration"):
        parse_duration("soon")


def test_a_lifetime_is_named_in_policy_or_as_section_dot_key() -> None:
    profile = load_profile(str(ROOT / "targets/shapes/realtime.toml"))
    assert stated_lifetime(profile, "idle_ttl_seconds") == 15
    assert stated_lifetime(profile, "sms.code_ttl_seconds") == 10
    assert stated_lifetime(profile, "sms.no_such_key") is None
    assert stated_lifetime(profile, "nowhere.code_ttl_seconds") is None


def test_idle_moments_are_just_before_from_the_earliest_and_just_after_from_the_latest() -> None:
    before, after = idle_watches(([], 100.0, 101.0), ([], 102.0, 103.0), 15)
    assert [(m.at, m.expect) for m in before.moments] == [(100.0 + 15 - margin(15), "alive")]
    assert [(m.at, m.expect) for m in after.moments] == [(103.0 + 15 + tolerance(15), "dead")]


def test_absolute_session_is_touched_inside_its_idle_lifetime_until_just_before() -> None:
    watch = absolute_watch([], 0.0, 1.0, 30, 15)
    times = [m.at for m in watch.moments]
    assert all(b - a < 15 for a, b in zip([1.0, *times], times, strict=False))
    assert [m.expect for m in watch.moments][-2:] == ["alive", "dead"]
    assert watch.moments[-1].at == 1.0 + 30 + tolerance(30)
    with pytest.raises(AuthprobeError, match="too short"):
        absolute_watch([], 0.0, 1.0, 600, 10)


def _lane(tmp_path: Path, arming: bool, probes: Probes) -> Lane:
    return Lane(arming, 60, tmp_path, "k", probes, arm_wait_s=5)


def test_arm_returns_at_once_and_the_judge_reads_what_the_thread_saw(tmp_path: Path) -> None:
    asked: list[float] = []

    def ask(cookies: list[dict[str, Any]]) -> tuple[bool | None, str]:
        asked.append(time.time())
        return len(asked) == 1, f"probe {len(asked)}"

    probes = Probes(ask)
    now = time.time()
    started = time.monotonic()
    _lane(tmp_path, True, probes).arm(idle_watches(([], now - 14.6, now), ([], now, now - 16.7), 15),
                                      due=0, email="a@x")
    assert time.monotonic() - started < 0.5, "arming waited for the probes"
    verdict, why = _lane(tmp_path, False, probes).judge()
    assert verdict is not None and why == ""
    assert verdict.failures() == [] and verdict.extra == {"email": "a@x"}
    assert len(asked) == 2 and asked[0] >= now - 14.6 + 15 - margin(15)
    assert "signed in" in verdict.describe() and "signed out" in verdict.describe()


def test_a_session_alive_after_its_lifetime_is_a_failure_naming_the_moment(tmp_path: Path) -> None:
    probes = Probes(lambda cookies: (True, "GET /api/session → 200"))
    now = time.time()
    _lane(tmp_path, True, probes).arm(idle_watches(([], now - 14, now), ([], now, now - 17), 15), due=0)
    verdict, _ = _lane(tmp_path, False, probes).judge()
    assert verdict is not None
    [failure] = verdict.failures()
    assert "after session" in failure and "15 s idle lifetime + 2 s" in failure and "signed in" in failure


def test_a_lifetime_over_the_limit_skips_naming_both_and_the_judge_says_why(tmp_path: Path) -> None:
    lane = _lane(tmp_path, True, Probes(lambda cookies: (None, "")))
    reason = lane.fits("policy.idle_ttl_seconds", 900)
    assert reason is not None and "900 s" in reason and "60 s" in reason
    lane.skipped(reason)
    assert _lane(tmp_path, False, lane.probes).judge() == (None, reason)


EXPIRY_DEFECTS = ["idle_timeout_not_enforced", "absolute_timeout_not_enforced", "reauth_skips_mfa",
                  "reset_link_never_expires", "sms_code_never_expires"]


@pytest.mark.whole_runs
def test_the_lane_runs_every_expiry_check_and_catches_every_expiry_defect(tmp_path: Path) -> None:
    """targets/shapes/realtime.toml (no hooks; idle 15 s, absolute 30 s, reset link 20 s, texted
    code 10 s), `authprobe mutants` on the lane: every expiry check runs as its arm and its judge,
    none skipped, all pass, in about the longest lifetime (not their sum); each expiry defect of
    the catalogue is caught, its catch confirmed on a clean sandbox."""
    order = tmp_path / "order.json"
    shutil.copy(ROOT / "bench" / "mutants-order.json", order)  # read, never rewritten by CI
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    done = subprocess.run(
        [sys.executable, "-m", "authprobe.cli", "mutants", "--json",
         "--target", "targets/shapes/realtime.toml", *(f"--only={name}" for name in EXPIRY_DEFECTS),
         "--jobs", "3", "--", "-m", "expiry",
         "--realtime-max", "2m"],
        cwd=ROOT, env={**env, ORDER_ENV: str(order)}, capture_output=True, text=True, timeout=600)
    assert done.stdout, done.stderr[-3000:]
    report = json.loads(done.stdout)
    clean = report["clean"]
    assert clean["result"] == "green" and clean["skipped"] == [], clean
    assert clean["seconds"] < 30 + 60, f"the lane took {clean['seconds']} s: its waits ran in turn"
    verdicts = {run["defect"]: (run["result"], run["test"]) for run in report["defects"]}
    assert all(result == "caught" for result, _ in verdicts.values()), verdicts
    assert report["caught"] == len(EXPIRY_DEFECTS) and done.returncode == 0, report


CHECKS = """
    import pytest

    @pytest.mark.expiry("backdate_sessions", "absolute_ttl_seconds")
    def test_absolute():
        pass

    def test_other():
        pass

    @pytest.mark.expiry("backdate_sessions", "idle_ttl_seconds")
    @pytest.mark.parametrize("case", ["a"])
    def test_idle(case):
        pass
"""


@pytest.mark.parametrize(("options", "first", "order"), [
    (("--realtime-max", "2m"), "", ["test_absolute[realtime-arm]", "test_idle[a-realtime-arm]", "test_other",
                                    "test_idle[a]", "test_absolute"]),
    ((), "", ["test_absolute", "test_other", "test_idle[a]"]),
    # authprobe mutants puts a defect's remembered catcher first: the lane still arms first
    (("--realtime-max", "2m", "-p", "authprobe.selftest.mutants_plugin"), "test_checks.py::test_absolute",
     ["test_absolute[realtime-arm]", "test_idle[a-realtime-arm]", "test_other", "test_idle[a]",
      "test_absolute"]),
])
def test_arms_go_first_longest_first_and_judges_last_only_with_a_limit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], first: str,
    order: list[str],
) -> None:
    monkeypatch.setenv("E2E_TARGET", str(ROOT / "targets/shapes/realtime.toml"))
    monkeypatch.setenv(FIRST_TESTS_ENV, first)
    monkeypatch.delenv("E2E_REALTIME_MAX", raising=False)
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest_inprocess("--authprobe", "--collect-only", "-q", "-p", "no:randomly",
                                          *options)
    listed = [line.split("::")[-1] for line in result.outlines if "::" in line]
    assert listed == order, result.outlines
