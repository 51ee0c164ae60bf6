"""pytest-playwright's options keep their documented meaning in the e2e suite.

Each case runs one e2e check in a subprocess with a plugin that records what the browser
context really had (viewport, user agent, video, origin), so an option that is parsed but
never reaches the browser fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent
from urllib.parse import urlsplit

import pytest

from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox, suite_env_for

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent
CHECK = "e2e/test_login.py::test_wrong_password_and_unknown_email_get_the_same_answer"
VIEWPORT = {"width": 1280, "height": 800}  # playwright.config.py's

RECORDER = """
    import json, os
    import pytest

    @pytest.fixture(autouse=True)
    def record_the_context(page):
        yield
        seen = {"viewport": page.viewport_size, "agent": page.evaluate("navigator.userAgent"),
                "video": page.video is not None, "origin": page.evaluate("location.origin"),
                "headless": "HeadlessChrome" in page.evaluate("navigator.userAgent")}
        with open(os.environ["RECORDED"], "w") as out:
            json.dump(seen, out)
"""


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    seen: dict[str, object]
    artifacts: Path
    seconds: float


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    target = started_sandbox()
    yield target
    target.stop()


def run_check(target: Target, tmp: Path, *args: str, base_url: bool = True,
              wrapper: tuple[str, ...] = (), **env_extra: str) -> Run:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "recorder.py").write_text(dedent(RECORDER))
    recorded = tmp / "seen.json"
    env = suite_env_for(target, tmp, base_url=base_url, RECORDED=str(recorded),
                        PYTHONPATH=str(tmp), **env_extra)
    started = time.monotonic()
    done = subprocess.run([*wrapper, sys.executable, "-m", "pytest", CHECK, "--browser", "chromium", "-q",
                           "-p", "recorder", "-p", "no:randomly", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    seen = json.loads(recorded.read_text()) if recorded.exists() else {}
    return Run(done.returncode, done.stdout + done.stderr, seen, tmp / "artifacts",
               time.monotonic() - started)


def kept(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.rglob(pattern)) if folder.exists() else []


def test_without_options_the_config_applies_and_a_passing_check_keeps_nothing(
    sandbox: Target, tmp_path: Path
) -> None:
    run = run_check(sandbox, tmp_path)
    assert run.code == 0, run.out[-3000:]
    assert run.seen["viewport"] == VIEWPORT and run.seen["video"] is False
    assert not kept(run.artifacts, "*.*"), kept(run.artifacts, "*.*")


def test_device_on_the_command_line_reaches_the_context(sandbox: Target, tmp_path: Path) -> None:
    run = run_check(sandbox, tmp_path, "--device", "iPhone 13")
    assert run.code == 0, run.out[-3000:]
    assert run.seen["viewport"] == {"width": 390, "height": 664}, run.seen
    assert "iPhone" in str(run.seen["agent"])


def test_video_tracing_screenshot_and_output_from_pytest_addopts(
    sandbox: Target, tmp_path: Path
) -> None:
    output = tmp_path / "mine"
    run = run_check(sandbox, tmp_path, PYTEST_ADDOPTS=(
        f"--video on --tracing on --screenshot on --output {output}"))
    assert run.code == 0, run.out[-3000:]
    assert run.seen["video"] is True
    for pattern in ("*.webm", "trace.zip", "*.png"):
        assert kept(output, pattern), f"no {pattern} under --output {output}: {kept(output, '*')}"
    assert filmstrip_frames(kept(output, "trace.zip")), "--tracing on kept a trace without its filmstrip"
    assert not kept(run.artifacts, "*.*"), "E2E_ARTIFACTS_DIR used although --output was given"


def test_tracing_from_addopts_in_an_ini_file_is_kept(sandbox: Target, tmp_path: Path) -> None:
    ini = tmp_path / "pytest.ini"
    output = tmp_path / "from-ini"
    ini.write_text(f"[pytest]\naddopts = --tracing on --output {output}\n")
    run = run_check(sandbox, tmp_path, "-c", str(ini), "--rootdir", str(ROOT))
    assert run.code == 0, run.out[-3000:]
    assert kept(output, "trace.zip"), f"addopts' --tracing on kept no trace: {kept(output, '*')}"


def test_keep_artifacts_applies_where_no_option_says_otherwise(
    sandbox: Target, tmp_path: Path
) -> None:
    run = run_check(sandbox, tmp_path, "--screenshot", "off", E2E_KEEP_ARTIFACTS="always")
    assert run.code == 0, run.out[-3000:]
    assert kept(run.artifacts, "trace.zip"), "E2E_KEEP_ARTIFACTS=always kept no trace"
    assert not kept(run.artifacts, "*.png"), "--screenshot off was overridden"


def filmstrip_frames(traces: list[Path]) -> int:
    """Screencast frames in the kept traces (pytest-playwright's filmstrip)."""
    frames = 0
    for trace in traces:
        with zipfile.ZipFile(trace) as archive:
            frames += sum(archive.read(name).count(b'"screencast-frame"')
                          for name in archive.namelist() if name.endswith(".trace"))
    return frames


@pytest.mark.parametrize(("env", "filmstrip", "cached"), [
    ({}, False, True),
    ({"E2E_TRACE_SCREENSHOTS": "true", "NODE_DISABLE_COMPILE_CACHE": "1"}, True, False),
], ids=["default", "asked-for"])
def test_filmstrip_and_driver_cache_only_when_asked(
    sandbox: Target, tmp_path: Path, env: dict[str, str], filmstrip: bool, cached: bool
) -> None:
    """Traces kept by E2E_KEEP_ARTIFACTS carry a filmstrip only with E2E_TRACE_SCREENSHOTS
    (pytest-playwright's own --tracing keeps its full trace: see the PYTEST_ADDOPTS case);
    the driver keeps its compiled code unless Node is told not to."""
    output = tmp_path / "artifacts"
    run = run_check(sandbox, tmp_path, "--output", str(output), E2E_KEEP_ARTIFACTS="always",
                    XDG_CACHE_HOME=str(tmp_path / "cache"), **env)
    assert run.code == 0, run.out[-3000:]
    traces = kept(output, "trace.zip")
    assert traces, f"no trace kept: {kept(output, '*')}"
    with zipfile.ZipFile(traces[0]) as archive:
        assert any(name.endswith(".network") for name in archive.namelist()), archive.namelist()
    assert (filmstrip_frames(traces) > 0) is filmstrip, f"{filmstrip_frames(traces)} frames"
    assert bool(kept(tmp_path / "cache" / "authprobe" / "node-compile-cache", "*.*")) is cached


def test_browser_channel_reaches_the_launch(sandbox: Target, tmp_path: Path) -> None:
    # no branded Chrome on this machine: the launch names the channel it was told to use
    run = run_check(sandbox, tmp_path, "--browser-channel", "chrome-beta")
    assert run.code != 0
    assert "chrome-beta" in run.out, run.out[-3000:]


def test_base_url_is_the_targets_origin(sandbox: Target, tmp_path: Path) -> None:
    run = run_check(sandbox, tmp_path, "--base-url", sandbox.base_url, base_url=False)
    assert run.code == 0, run.out[-3000:]
    assert run.seen["origin"] == sandbox.base_url, run.seen


def test_base_url_at_an_unreachable_host_stops_within_seconds_naming_it(
    sandbox: Target, tmp_path: Path
) -> None:
    nowhere = "http://127.0.0.9:9"
    run = run_check(sandbox, tmp_path, "--base-url", nowhere, base_url=False)
    assert run.code == 3, run.out[-3000:]
    assert nowhere in run.out and "Traceback" not in run.out
    assert run.seconds <= 10, f"took {run.seconds:.1f} s"


def test_base_url_and_a_different_e2e_base_url_stop_with_one_sentence(
    sandbox: Target, tmp_path: Path
) -> None:
    other = f"http://127.0.0.1:{urlsplit(sandbox.base_url).port}"
    elsewhere = "http://127.0.0.2:8000"
    run = run_check(sandbox, tmp_path, "--base-url", elsewhere, E2E_BASE_URL=other,
                    base_url=False)
    assert run.code == 3, run.out[-3000:]
    assert f"--base-url {elsewhere} and E2E_BASE_URL {other} name different targets" in run.out
    assert "Traceback" not in run.out
    assert not os.path.exists(tmp_path / "seen.json")


needs_xvfb = pytest.mark.skipif(shutil.which("xvfb-run") is None,
                                reason="headed runs need a display: apt-get install xvfb")


@needs_xvfb
def test_headed_with_slowmo_runs_in_a_visible_browser(sandbox: Target, tmp_path: Path) -> None:
    fast = run_check(sandbox, tmp_path / "fast", wrapper=("xvfb-run", "-a"))
    slow = run_check(sandbox, tmp_path / "slow", "--headed", "--slowmo", "300",
                     wrapper=("xvfb-run", "-a"))
    assert fast.code == 0 and slow.code == 0, slow.out[-3000:]
    assert fast.seen["headless"] is True and slow.seen["headless"] is False
    # two sign-in attempts: at least five browser actions, each 300 ms slower (2.5 s measured)
    assert slow.seconds > fast.seconds + 1.5, (fast.seconds, slow.seconds)


@needs_xvfb
def test_pwdebug_hands_the_run_to_the_playwright_inspector(sandbox: Target, tmp_path: Path) -> None:
    """PWDEBUG=1 opens a headed browser and pauses at the first action until someone resumes."""
    env = suite_env_for(sandbox, tmp_path, PWDEBUG="1")
    process = subprocess.Popen(["xvfb-run", "-a", sys.executable, "-m", "pytest", CHECK,
                                "--browser", "chromium", "-q", "-p", "no:randomly"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=20)  # the same check finishes in a few seconds without PWDEBUG
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    assert "passed" not in out, out[-2000:]
