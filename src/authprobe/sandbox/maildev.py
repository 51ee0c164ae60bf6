"""MailDev, the real program, on free loopback ports: a mail catcher with an HTTP API.

Started for the tool's tests, the mail bench, CI, and a run of a `[mail] source = "maildev"`
profile on a built-in target that is not pointed at a running one (E2E_MAIL_API_URL): the
target then sends its mail to MailDev's SMTP port (`--smtp-relay`) and the run reads it
through MailDev's REST API. `bin/setup` installs MailDev from the npm registry into
`.venv/node` (beside the interpreter, so it is found under `sys.prefix`; AUTHPROBE_MAILDEV
names another executable). Each start has its own mail directory and web password, both gone
with `stop`; on Linux MailDev also gets SIGTERM when the process that started it dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from authprobe.errors import SandboxError

MAILDEV_ENV = "AUTHPROBE_MAILDEV"
READY_TIMEOUT_S = 20.0
STOP_GRACE_S = 5.0
WEB_USER = "authprobe"
_PR_SET_PDEATHSIG = 1


def maildev_executable() -> str:
    """The `maildev` to run: AUTHPROBE_MAILDEV, else bin/setup's, else one on PATH."""
    named = os.environ.get(MAILDEV_ENV)
    if named:
        if not os.access(named, os.X_OK):
            raise SandboxError(f"{MAILDEV_ENV}={named} is not an executable; point it at MailDev's "
                               "`maildev` or unset it.")
        return named
    installed = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "maildev"
    if os.access(installed, os.X_OK):
        return str(installed)
    on_path = shutil.which("maildev")
    if on_path:
        return on_path
    raise SandboxError("MailDev is not installed; run bin/setup (it installs it from the npm "
                       f"registry into {installed.parent.parent.parent}) or set {MAILDEV_ENV}.")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (MailDev reports the port it was given, so 0 will not do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningMailDev:
    """One started MailDev: where its SMTP and REST API listen, and the web login."""

    host: str
    smtp_port: int
    web_port: int
    user: str
    password: str = field(repr=False)
    process: subprocess.Popen[bytes] = field(repr=False)
    directory: Path = field(repr=False)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def smtp_relay(self) -> str:
        """The `--smtp-relay HOST:PORT` a built-in target is started with to send here."""
        return f"{self.host}:{self.smtp_port}"

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after a grace; then its mail directory goes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """In the child: SIGTERM when the process that started MailDev ends (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _answers(running: RunningMailDev) -> bool:
    try:
        with urllib.request.urlopen(f"{running.api_url}/healthz", timeout=1) as answer:
            healthy = bool(answer.status == 200)
        with socket.create_connection((running.host, running.smtp_port), timeout=1):
            return healthy
    except (OSError, urllib.error.URLError):
        return False


def start_maildev(host: str = "127.0.0.1", *, ready_timeout: float = READY_TIMEOUT_S) -> RunningMailDev:
    """Start MailDev on free ports of `host` with a fresh web password; return once both its
    SMTP port and its REST API answer, or stop it and say why in one sentence."""
    executable = maildev_executable()
    directory = Path(tempfile.mkdtemp(prefix="authprobe-maildev-"))
    smtp_port, web_port = free_port(host), free_port(host)
    password = secrets.token_urlsafe(18)
    command = [executable, "--ip", host, "--web-ip", host, "--smtp", str(smtp_port),
               "--web", str(web_port), "--mail-directory", str(directory / "mail"),
               "--web-user", WEB_USER]
    env = {**os.environ, "MAILDEV_WEB_PASS": password}  # never on a command line others can read
    log = (directory / "maildev.log").open("wb")
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                   start_new_session=True, preexec_fn=_die_with_parent)
    except OSError as exc:
        log.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise SandboxError(f"MailDev could not be started ({exc.strerror}); run bin/setup again.") from None
    log.close()
    running = RunningMailDev(host, smtp_port, web_port, WEB_USER, password, process, directory)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline and process.poll() is None:
        if _answers(running):
            return running
        time.sleep(0.05)
    said = (directory / "maildev.log").read_text(errors="replace").strip()[-300:]
    running.stop()
    raise SandboxError(f"MailDev did not answer on {host}:{smtp_port} (SMTP) and {web_port} (web) "
                       f"within {ready_timeout:g} s; its last output: {said!r}.")


@contextlib.contextmanager
def running_maildev(host: str = "127.0.0.1") -> Iterator[RunningMailDev]:
    """MailDev for the length of a `with` block, stopped however the block ends."""
    started = start_maildev(host)
    try:
        yield started
    finally:
        started.stop()
