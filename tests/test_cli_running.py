"""Commands that run something, as users meet them: a busy port is one sentence for `sandbox`
and `serve`, and `authprobe load` says what it is doing while it runs."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.hygiene

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something already listens on (another target still running)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def clean_env(**env: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("E2E_", "SANDBOX_"))}, **env}


@pytest.mark.parametrize("command", [["sandbox"], ["serve", "flask-security"]])
def test_a_busy_port_is_one_sentence(command: list[str], busy_port: int, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "authprobe.cli", *command, "--port", str(busy_port)],
                          cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"Port {busy_port} on 127.0.0.1 (--port) is already in use, perhaps by another "
                           "target still running: stop it, or pass --port 0 for a free port.\n")
    assert done.stdout == ""


GAP = """
import sys
import authprobe.sandbox.launcher as launcher
from authprobe.sandbox.server import main
checked, calls = launcher.check_ports_free, []
def in_the_gap(args):  # the first check finds the port free; it is taken before the bind
    calls.append(args)
    if len(calls) > 1:
        checked(args)
launcher.check_ports_free = in_the_gap
sys.exit(main(sys.argv[1:]))
"""


def test_a_port_taken_between_the_check_and_the_bind_is_the_same_sentence(
        busy_port: int, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", GAP, "--port", "0", "--imap-port", str(busy_port)],
                          cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == (f"Port {busy_port} on 127.0.0.1 (--imap-port) is already in use, perhaps "
                           "by another target still running: stop it, or pass --imap-port 0 for a "
                           "free port.\n")


def test_load_says_what_it_is_doing_while_it_runs(tmp_path: Path) -> None:
    """Each stage's line arrives on stderr while the run goes on, before the result on stdout."""
    started = time.monotonic()
    load = subprocess.Popen([sys.executable, "-m", "authprobe.cli", "load", "--users", "2", "--seconds", "1"],
                            cwd=ROOT, env=clean_env(E2E_ARTIFACTS_DIR=str(tmp_path / "a"),
                                                    E2E_STATE_DIR=str(tmp_path / "s")),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert load.stderr is not None
    first = load.stderr.readline()
    running_after_first_line = load.poll() is None
    out, rest = load.communicate(timeout=120)
    stages = [first, *rest.splitlines(keepends=True)]
    assert running_after_first_line and first == "authprobe load: starting sandbox\n", stages
    said = "\n".join(line.removeprefix("authprobe load: ").rstrip() for line in stages)
    assert re.fullmatch(r"starting sandbox\nchecking that http://127\.0\.0\.1:\d+ answers\n"
                        r"launching the browser\nthrowaway users created: 2/2\n"
                        r"(round \d+ done at \d+/1 s: \d+ sign-in\(s\), 0 error\(s\), 0 cross-talk\(s\)\n)+"
                        r"removing the run's throwaway users", said), said
    assert load.returncode == 0 and out.startswith("authprobe load: 2 user(s), "), out + rest
    assert time.monotonic() - started < 60
