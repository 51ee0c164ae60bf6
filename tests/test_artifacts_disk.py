"""A full or unwritable artifacts folder costs a run its artifacts, never its verdicts.

The full disk is a real 64 KiB tmpfs where this process may mount one (root, as in CI's
container); elsewhere the copy is cut by an ENOSPC raised in-process, which is said in the
skip-free fallback's name. The unwritable folder is a path under a file (ENOTDIR), which
even root cannot write to.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pytest_playwright.pytest_playwright import ArtifactsRecorder

from authprobe.plugin.reporting import guard_artifact_writes
from authprobe.plugin.run_end import ARTIFACTS, seal_and_scan
from authprobe.security.artifacts import ArtifactDir
from tests.test_interrupted_runs import (
    ONE_USER_TEST,
    ROOT,
    Sandbox,
    assert_no_secret,
    sandbox,  # noqa: F401 - the fixture
    suite_env,
)

SENTENCE = ("the artifacts folder {path} (E2E_ARTIFACTS_DIR) {what}: the artifacts of 1 check(s) were "
            "not kept and the verdicts stand; free space there or set E2E_ARTIFACTS_DIR to a writable "
            "folder")


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """64 KiB of disk: a tmpfs if this process may mount one, else a copy cut at 64 KiB."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                             capture_output=True, check=False).returncode == 0
    if not mounted:  # simulated: the copy writes 64 KiB, then the disk is full
        def cut_copy(src: str, dst: str, **_: Any) -> str:
            with open(src, "rb") as source, open(dst, "wb") as target:
                target.write(source.read(64 * 1024))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(shutil, "copy2", cut_copy)
    try:
        yield mount
    finally:
        if mounted:
            subprocess.run(["umount", str(mount)], check=True)


class Config:
    """The part of pytest's config pytest-playwright's recorder and authprobe read."""

    def __init__(self, output: Path) -> None:
        self.stash = pytest.Stash()
        self.option = SimpleNamespace(output=str(output))
        self.pluginmanager = SimpleNamespace(get_plugin=lambda name: None)

    def getoption(self, name: str) -> str:
        return {"--tracing": "retain-on-failure", "--screenshot": "only-on-failure",
                "--video": "off"}[name]


def test_a_full_artifacts_folder_keeps_the_verdict_no_cut_off_file_and_says_one_sentence(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    output = small_disk / "artifacts"
    config = Config(output)
    config.stash[ARTIFACTS] = ArtifactDir(output)
    scratch = tmp_path / "pw-tmp"
    scratch.mkdir()
    screenshot, trace = scratch / "shot", scratch / "trace"
    screenshot.write_bytes(b"\x89PNG" + b"0" * 1000)
    trace.write_bytes(os.urandom(200 * 1024))  # a trace bigger than the disk
    recorder = ArtifactsRecorder(config, None, str(output / "e2e-test-x"), None, None)  # type: ignore[arg-type]
    recorder._screenshots, recorder._traces = [str(screenshot)], [str(trace)]  # noqa: SLF001
    guard_artifact_writes()

    recorder.did_finish_test(failed=True)  # before: OSError [Errno 28] out of pytest-playwright

    kept = sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file())
    assert kept == ["e2e-test-x/test-failed-1.png"]  # whole; the cut-off trace.zip is gone
    assert (output / "e2e-test-x/test-failed-1.png").stat().st_size == 1004
    session = SimpleNamespace(config=config, exitstatus=0)
    seal_and_scan(session)  # type: ignore[arg-type]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "authprobe: " + SENTENCE.format(path=output, what="is full")
    assert session.exitstatus == 0  # the verdicts are the checks' own


def test_an_artifacts_folder_under_a_file_is_one_sentence_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    output = tmp_path / "a-file" / "artifacts"
    artifacts = ArtifactDir(output)  # before: NotADirectoryError, every check an ERROR
    config = Config(output)
    config.stash[ARTIFACTS] = artifacts
    recorder = ArtifactsRecorder(config, None, str(output / "e2e-test-y"), None, None)  # type: ignore[arg-type]
    shot = tmp_path / "shot"
    shot.write_bytes(b"png")
    recorder._screenshots = [str(shot)]  # noqa: SLF001
    guard_artifact_writes()
    recorder.did_finish_test(failed=True)
    seal_and_scan(SimpleNamespace(config=config, exitstatus=1))  # type: ignore[arg-type]
    [said] = capsys.readouterr().out.splitlines()
    assert said == "authprobe: " + SENTENCE.format(path=output, what="cannot be written (Not a directory)")


@pytest.mark.whole_runs  # a browser run in a subprocess: the long job
def test_a_run_whose_artifacts_disk_is_full_passes_its_check_and_says_so_once(
    sandbox: Sandbox, small_disk: Path, tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    if not os.path.ismount(small_disk):
        pytest.skip("needs a real full disk: mounting a tmpfs needs root")
    output = small_disk / "artifacts"
    env = suite_env(sandbox, sandbox.target.base_url, tmp_path / "state", E2E_KEEP_ARTIFACTS="always",
                    E2E_ARTIFACTS_DIR=str(output))
    done = subprocess.run([sys.executable, "-m", "pytest", ONE_USER_TEST, "--browser", "chromium",
                           "-q", "-p", "no:randomly"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "1 passed" in said, said[-3000:]  # before: 1 passed, 1 error
    assert "Traceback" not in said and "Errno" not in said, said[-3000:]
    assert said.count("(E2E_ARTIFACTS_DIR) is full") == 1, said[-3000:]
    for kept in output.rglob("*"):  # whatever is kept is whole
        assert kept.is_dir() or kept.suffix != ".zip" or zipfile.is_zipfile(kept), kept
    assert_no_secret(sandbox, said)
