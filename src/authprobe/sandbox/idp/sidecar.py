"""Starting the IdP beside a target: `start_idp` runs `python -m authprobe.sandbox.idp` as a
child that dies with this process and hands back where it answers.

Stdlib only (and authprobe.errors): the sandbox imports this whether or not
django-oauth-toolkit is installed, and asks `idp_missing()` before offering SSO.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO

from authprobe.errors import SandboxConfigError

LAUNCHER_ENV = "AUTHPROBE_LAUNCHER_PID"  # as authprobe.sandbox.launcher.LAUNCHER_ENV
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class IdpClient:
    """The one relying party the IdP knows: what the app registers with a real IdP."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    name: str = "Authprobe sandbox"
    consent: bool = False


@dataclass
class RunningIdp:
    url: str
    issuer: str
    discovery_url: str
    process: subprocess.Popen[str] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM (the IdP removes its scratch database), SIGKILL after a grace period."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def idp_missing() -> str | None:
    """A sentence when the IdP cannot run here (django-oauth-toolkit not installed), else None."""
    if importlib.util.find_spec("django") is None or importlib.util.find_spec("oauth2_provider") is None:
        return ("django-oauth-toolkit is not installed, so there is no identity provider; "
                "install it with pip install 'authprobe[targets]'.")
    return None


def idp_command(host: str, client: IdpClient, *, test_mode: bool, access_token_ttl: int,
                jwks_max_age: int) -> list[str]:
    command = [sys.executable, "-m", "authprobe.sandbox.idp", "--host", host, "--port", "0",
               "--client-id", client.client_id, "--client-name", client.name,
               "--access-token-ttl", str(access_token_ttl), "--jwks-max-age", str(jwks_max_age)]
    for uri in client.redirect_uris:
        command += ["--redirect-uri", uri]
    for uri in client.post_logout_redirect_uris:
        command += ["--post-logout-redirect-uri", uri]
    if client.consent:
        command.append("--consent")
    if test_mode:
        command.append("--test-mode")
    return command


def start_idp(host: str, client: IdpClient, *, admin_token: str, hook_token: str,
              test_mode: bool, access_token_ttl: int = 300, jwks_max_age: int = 300,
              timeout: float = 30.0) -> RunningIdp:
    """Start the IdP and wait for its ready line; SandboxConfigError (one sentence) otherwise.

    Call it from a thread that lives as long as the IdP (normally the main thread): on Linux
    the child is stopped when the thread that started it ends, as with every built-in target.
    Secrets go by environment only, never on the command line.
    """
    missing = idp_missing()
    if missing:
        raise SandboxConfigError(missing)
    env = {**os.environ, "IDP_CLIENT_SECRET": client.client_secret, "IDP_ADMIN_TOKEN": admin_token,
           LAUNCHER_ENV: str(os.getpid())}
    env.pop("IDP_HOOK_TOKEN", None)
    if test_mode:
        env["IDP_HOOK_TOKEN"] = hook_token
    process = subprocess.Popen(
        idp_command(host, client, test_mode=test_mode, access_token_ttl=access_token_ttl,
                    jwks_max_age=jwks_max_age),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    ready = _ready_line(process, timeout)
    if ready is None:
        try:  # closed its stdout: it is exiting
            when = f"exited with status {process.wait(timeout=1)}"
        except subprocess.TimeoutExpired:
            when = f"did not start within {timeout:.0f} s"
        process.kill()
        process.wait()
        said = process.stderr.read().strip().splitlines() if process.stderr else []
        why = said[-1] if said else "it printed nothing"
        raise SandboxConfigError(
            f"The identity provider {when} ({why}); run "
            "`python -m authprobe.sandbox.idp --redirect-uri URI` to see why.")
    _drain(process)
    return RunningIdp(url=str(ready["url"]), issuer=str(ready["issuer"]),
                      discovery_url=str(ready["discovery_url"]), process=process)


def _ready_line(process: subprocess.Popen[str], timeout: float) -> dict[str, object] | None:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0 and selector.select(timeout=left):
            line = process.stdout.readline()
            if not line:
                return None
            with contextlib.suppress(json.JSONDecodeError):
                answer = json.loads(line)
                if isinstance(answer, dict) and answer.get("ready"):
                    return answer
    return None


def _drain(process: subprocess.Popen[str]) -> None:
    """Keep reading the IdP's output after its ready line, or it blocks once a pipe is full:
    stdout is dropped, stderr (request errors, tracebacks) goes on to ours."""
    for stream, sink in ((process.stdout, None), (process.stderr, sys.stderr)):
        if stream is not None:
            threading.Thread(target=_pump, args=(stream, sink), daemon=True,
                             name="authprobe-idp-output").start()


def _pump(stream: IO[str], sink: IO[str] | None) -> None:
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            if sink is not None:
                sink.write(line)
                sink.flush()
