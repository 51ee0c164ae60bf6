"""Built-in targets die with their launcher, whatever the signal, and leave no temp files.

Real processes throughout. Every launcher and target runs with a private TMPDIR, so "no
temp file remains" means that folder is empty, and "no process remains" means no process
has that TMPDIR in its environment. The test process is made a child subreaper, so a
target orphaned by its launcher's death is reparented here and its exit status can be read.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import authprobe.sandbox.scratch
import authprobe.target.child

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG, subreapers and /proc are Linux's")

PR_SET_CHILD_SUBREAPER = 36
STOP_WITHIN_S = 5.0
# A pytest run that started a sandbox with start_sandbox: stops it only on Ctrl-C (pytest's
# KeyboardInterrupt teardown); SIGTERM and SIGHUP kill it like pytest, without clean-up.
HELPER = """
import json, signal, sys, time
for sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, signal.SIG_DFL)  # whatever this process inherited, like pytest
signal.signal(signal.SIGINT, signal.default_int_handler)
from authprobe.settings import Settings
from authprobe.target.app import start_sandbox
target = start_sandbox(Settings(_env_file=None), sys.argv[2:], module=sys.argv[1])
print(json.dumps({"app_pid": target.process.pid, "db": target.command_env.get("SANDBOX_DB")}),
      flush=True)
try:
    while True:
        time.sleep(60)
finally:
    target.stop()
"""


@pytest.fixture(scope="module", autouse=True)
def _subreaper() -> Iterator[None]:
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    yield
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


@pytest.fixture
def tmp(tmp_path: Path) -> Iterator[Path]:
    """The private TMPDIR; whatever still runs with it when the test ends is killed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    yield folder
    for pid in _left_running(folder):  # only after a failure: this test's own processes
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SANDBOX_", "E2E_", "AUTHPROBE_"))}
    return {**env, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}


@dataclass
class Start:
    """One start of a built-in target: its launcher (None when started by hand) and app."""

    launcher: subprocess.Popen[str] | None
    app_pid: int
    tmp: Path
    ready: dict[str, object] = field(default_factory=dict)
    app: subprocess.Popen[str] | None = None  # started by hand: the app is our child
    app_status: int | None = None  # known when the app was our child, or reparented here

    @property
    def first(self) -> subprocess.Popen[str]:
        assert self.launcher is not None
        return self.launcher

    def scratch(self) -> list[Path]:
        return sorted(self.tmp.iterdir())

    def app_gone(self) -> bool:
        if self.app is not None:
            self.app_status = self.app.poll()
            return self.app_status is not None
        try:
            pid, status = os.waitpid(self.app_pid, os.WNOHANG)
        except ChildProcessError:  # not (or no longer) ours to reap: ask /proc
            return not authprobe.sandbox.scratch.process_alive(self.app_pid)
        if pid == 0:
            return False
        self.app_status = os.waitstatus_to_exitcode(status)
        return True


def _read_ready(proc: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, object]:
    """The JSON ready line (or the CLI's banner, as {"banner": line}), within `timeout`."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while sel.select(max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if not line:
                break
            if " running at " in line:  # sandbox_banner / serve's ready_banner
                return {"banner": line}
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(answer, dict) and (answer.get("ready") or answer.get("app_pid")):
                return answer
    proc.kill()
    _, err = proc.communicate(timeout=10)
    pytest.fail(f"no ready line within {timeout:.0f} s: {err[-2000:]}")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _popen(argv: list[str], tmp: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(argv, cwd=ROOT, env=_env(tmp), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def start_cli(tmp: Path, *args: str) -> Start:
    """`authprobe sandbox --port 0 --test-mode` (or `authprobe serve NAME ...` via args)."""
    argv = list(args) or ["sandbox", "--port", "0", "--test-mode"]
    launcher = _popen([sys.executable, "-m", "authprobe.cli", *argv], tmp)
    ready = _read_ready(launcher)
    [app_pid] = _children(launcher.pid)
    return Start(launcher, app_pid, tmp, ready)


def start_helper(tmp: Path, module: str = "authprobe.sandbox", *args: str) -> Start:
    """A pytest-like process that called authprobe.target.app.start_sandbox and waits."""
    launcher = _popen([sys.executable, "-c", HELPER, module, *args], tmp)
    ready = _read_ready(launcher)
    return Start(launcher, int(str(ready["app_pid"])), tmp, ready)


def start_by_hand(tmp: Path, module: str = "authprobe.sandbox") -> Start:
    """`python -m MODULE` with no launcher of ours and no --db."""
    app = _popen([sys.executable, "-m", module, "--test-mode", "--port", "0"], tmp)
    return Start(None, app.pid, tmp, _read_ready(app), app=app)


def _eventually(check: object, what: str, timeout: float = STOP_WITHIN_S) -> float:
    assert callable(check)
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what} after {timeout:.0f} s"
        time.sleep(0.05)
    return time.monotonic() - started


def _left_running(tmp: Path) -> list[int]:
    """Processes (other than zombies) whose environment names this private TMPDIR."""
    marker = f"TMPDIR={tmp}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def _assert_all_gone(start: Start) -> None:
    _eventually(start.app_gone, f"the app (pid {start.app_pid}) still runs")
    if start.launcher is not None:
        start.launcher.communicate(timeout=STOP_WITHIN_S)
    _eventually(lambda: not start.scratch(), f"temp files remain: {start.scratch()}")
    # a sidecar (the sandbox's identity provider) removes its files just before it exits
    _eventually(lambda: not _left_running(start.tmp), f"processes remain: {_left_running(start.tmp)}")


def _scratch_of(pid: int, tmp: Path) -> list[Path]:
    return sorted(tmp.glob(f"{authprobe.target.child.SCRATCH_PREFIX}{pid}-*"))


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_authprobe_sandbox_takes_its_app_and_temp_files_along(tmp: Path, sig: int) -> None:
    start = start_cli(tmp)
    cmdline = Path(f"/proc/{start.app_pid}/cmdline").read_bytes().split(b"\0")
    [scratch] = _scratch_of(start.first.pid, tmp)  # the launcher's own directory
    assert cmdline[cmdline.index(b"--db") + 1] == str(scratch / "app.sqlite3").encode()
    # beside the launcher's: the scratch directory of the identity provider it started (--idp)
    assert scratch in start.scratch() and len(start.scratch()) == 2
    assert (scratch / "app.sqlite3").is_file()

    os.kill(start.first.pid, sig)
    _assert_all_gone(start)
    if sig == signal.SIGKILL:  # the kernel's SIGTERM reached the orphan: a clean stop
        assert start.app_status == 0
    else:  # passed on, waited for, and the app's clean stop is the launcher's result
        assert start.first.returncode == 0


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_test_run_that_started_a_sandbox_takes_it_along(tmp: Path, sig: int) -> None:
    start = start_helper(tmp)
    [scratch] = _scratch_of(start.first.pid, tmp)
    assert start.ready["db"] == str(scratch / "app.sqlite3")  # command_env: the real file
    assert Path(str(start.ready["db"])).is_file()

    os.kill(start.first.pid, sig)
    _assert_all_gone(start)
    if sig != signal.SIGINT:  # SIGINT: Target.stop(); otherwise the kernel's SIGTERM
        assert start.app_status == 0


def test_ten_starts_and_stops_with_every_kind_of_signal_leave_nothing(tmp: Path) -> None:
    starts: list[Start] = []

    def leftover_of(start: Start) -> list[Path]:
        owner = start.first.pid if start.launcher is not None else start.app_pid
        return _scratch_of(owner, tmp)

    # 1. authprobe sandbox, SIGTERM
    starts.append(start := start_cli(tmp))
    os.kill(start.first.pid, signal.SIGTERM)
    _assert_all_gone(start)
    # 2. a test run, SIGKILL
    starts.append(start := start_helper(tmp))
    os.kill(start.first.pid, signal.SIGKILL)
    _assert_all_gone(start)
    # 3. by hand, SIGHUP to the app itself: a clean stop within a second or so
    starts.append(start := start_by_hand(tmp))
    [own] = _scratch_of(start.app_pid, tmp)
    assert start.ready["command_env"] == {"SANDBOX_DB": str(own / "app.sqlite3"),
                                          "SANDBOX_HASH_PROFILE": "fast"}
    os.kill(start.app_pid, signal.SIGHUP)
    assert _eventually(start.app_gone, "the app still runs") < 2.5
    assert start.app_status == 0 and not start.scratch()
    # 4. by hand, SIGKILL to the app: nobody is left to clean up ...
    starts.append(killed := start_by_hand(tmp))
    os.kill(killed.app_pid, signal.SIGKILL)
    _eventually(killed.app_gone, "the app still runs")
    assert len(leftover_of(killed)) == 1
    # 5. ... so the next start does; this one is a test run ended by SIGHUP
    starts.append(start := start_helper(tmp))
    assert leftover_of(killed) == []
    os.kill(start.first.pid, signal.SIGHUP)
    _assert_all_gone(start)
    # 6. authprobe sandbox whose app is SIGKILLed: the launcher ends and cleans up
    starts.append(start := start_cli(tmp))
    os.kill(start.app_pid, signal.SIGKILL)
    _assert_all_gone(start)
    assert start.first.returncode == 128 + signal.SIGKILL
    # 7. a test run whose app is SIGKILLed, then the run too (SIGTERM, no Target.stop) ...
    starts.append(killed := start_helper(tmp))
    os.kill(killed.app_pid, signal.SIGKILL)
    _eventually(killed.app_gone, "the app still runs")
    killed.first.send_signal(signal.SIGTERM)
    killed.first.communicate(timeout=STOP_WITHIN_S)
    assert len(leftover_of(killed)) == 1
    # 8. ... is cleaned by the next start: authprobe serve flask-security, SIGKILLed
    starts.append(start := start_cli(tmp, "serve", "flask-security", "--port", "0"))
    assert leftover_of(killed) == []
    os.kill(start.first.pid, signal.SIGKILL)
    _assert_all_gone(start)
    assert start.app_status == 0
    # 9. a test run of the Flask-Security target, Ctrl-C
    starts.append(start := start_helper(tmp, "authprobe.sandbox.flask_security"))
    os.kill(start.first.pid, signal.SIGINT)
    _assert_all_gone(start)
    # 10. authprobe sandbox, Ctrl-C
    starts.append(start := start_cli(tmp))
    os.kill(start.first.pid, signal.SIGINT)
    _assert_all_gone(start)

    assert len(starts) == 10
    assert [s.app_pid for s in starts if not s.app_gone()] == []
    assert _left_running(tmp) == [] and list(tmp.iterdir()) == []


def test_a_given_db_is_used_and_kept_while_the_scratch_directory_goes(tmp: Path) -> None:
    db = tmp.parent / "kept.sqlite3"
    start = start_helper(tmp, "authprobe.sandbox", "--db", str(db))
    assert start.ready["db"] == str(db) and db.is_file()
    os.kill(start.first.pid, signal.SIGINT)
    _assert_all_gone(start)
    assert db.is_file()


def test_a_target_whose_launcher_died_before_it_could_ask_exits_at_once(tmp: Path) -> None:
    env = {**_env(tmp), authprobe.target.child.LAUNCHER_ENV: str(_dead_pid())}
    result = subprocess.run([sys.executable, "-m", "authprobe.sandbox", "--test-mode", "--port", "0"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=15)
    assert (result.returncode, result.stdout) == (0, "")
    assert list(tmp.iterdir()) == []


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_stale_scratch_of_dead_processes_only_is_removed(tmp: Path) -> None:
    zombie = subprocess.Popen(["true"])  # ended, not yet waited for: as good as dead
    _eventually(lambda: not authprobe.sandbox.scratch.process_alive(zombie.pid), "no zombie")
    prefix = authprobe.target.child.SCRATCH_PREFIX
    dead = tmp / f"{prefix}{_dead_pid()}-abc"
    undead = tmp / f"{prefix}{zombie.pid}-abc"
    alive = tmp / f"{prefix}{os.getpid()}-abc"
    other = tmp / f"{prefix}notapid-abc"
    for folder in (dead, undead, alive, other):
        folder.mkdir()
        (folder / "app.sqlite3").write_text("x")
    authprobe.sandbox.scratch.remove_stale_scratch(str(tmp))
    zombie.wait()
    assert sorted(tmp.iterdir()) == sorted([alive, other])
    assert prefix == authprobe.sandbox.scratch.SCRATCH_PREFIX


@pytest.mark.parametrize("module", ["authprobe.sandbox", "authprobe.sandbox.flask_security"])
def test_a_start_by_hand_removes_stale_scratch_and_its_own(tmp: Path, module: str) -> None:
    dead = tmp / f"{authprobe.target.child.SCRATCH_PREFIX}{_dead_pid()}-abc"
    dead.mkdir()
    start = start_by_hand(tmp, module)
    assert not dead.exists()
    [own] = _scratch_of(start.app_pid, tmp)
    assert [p.name for p in own.iterdir() if p.suffix == ".db" or p.name == "app.sqlite3"]
    os.kill(start.app_pid, signal.SIGTERM)
    _eventually(start.app_gone, "the app still runs")
    assert start.app_status == 0 and list(tmp.iterdir()) == []


def test_an_in_process_app_keeps_its_database_in_scratch_gone_at_exit(tmp: Path) -> None:
    code = ("from authprobe.sandbox import SandboxConfig, create_app\n"
            "app = create_app(SandboxConfig(hash_profile='fast'))\n"
            "print(app.state.db_path)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(tmp),
                            capture_output=True, text=True, timeout=30, check=True)
    db = Path(result.stdout.strip())
    assert db.parent.parent == tmp
    assert db.parent.name.startswith(authprobe.target.child.SCRATCH_PREFIX)
    assert list(tmp.iterdir()) == []
