"""Every HTTP call the run depends on ends by its deadline: an SMS gateway, admin API or test
hook that stalls or trickles (one byte per 0.5 s, so every single read is quick) at its headers
or in its body ends the call in one sentence naming the server and E2E_HTTP_TIMEOUT, never a
token; a run whose admin API trickles while it creates a user ends with exit 3.

Each test prints its measured seconds (`-s`), the figures of the closing table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import get_args

import pytest
from playwright.sync_api import APIRequestContext, sync_playwright
from pydantic import SecretStr

from authprobe.errors import DeadlineExceeded, ServerStalled, SmsGatewayStalled
from authprobe.oob.sms import Phone
from authprobe.profile import load_profile
from authprobe.provisioning.channels import ApiChannel
from authprobe.target import httpget
from authprobe.target.hooks import TestHooks
from tests.hostile_http import Answer, Mode, Where, hostile_http
from tests.hostile_imap import ADDRESS, hostile_imap
from tests.hostile_imap import PASSWORD as IMAP_PASSWORD

DEADLINE = 1.0  # E2E_HTTP_TIMEOUT in these tests
MARGIN = 2.0  # a stalled call ends this soon after its deadline
SID = "AC" + "0" * 32
TOKEN = "sms-token-hostile-91c2"  # pragma: allowlist secret
ADMIN_TOKEN = "admin-token-hostile-5d0e"  # pragma: allowlist secret
HOOK_TOKEN = "hook-token-hostile-3b7f"  # pragma: allowlist secret
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
CASES = [(mode, where) for mode in get_args(Mode) for where in get_args(Where)]


def _gateway(method: str, path: str) -> Answer:
    """A healthy gateway's answer: an empty message list (Twilio's page shape)."""
    return 200, {"messages": [], "page": 0, "page_size": 1, "next_page_uri": None,
                 "uri": MESSAGES, "first_page_uri": MESSAGES}


def _timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]


def _one_sentence(message: str, *secrets: str) -> None:
    assert message.count(". ") == 0 and message.endswith("."), f"not one sentence: {message}"
    assert "E2E_HTTP_TIMEOUT" in message and f"{DEADLINE:g} s" in message, message
    assert not any(secret in message for secret in secrets), message


@pytest.mark.timeout(15)
@pytest.mark.parametrize(("mode", "where"), CASES)
def test_an_sms_gateway_that_stalls_or_trickles_ends_at_the_deadline_in_one_sentence(
        mode: Mode, where: Where) -> None:
    with hostile_http("GET", MESSAGES, mode, where, _gateway) as gateway:
        phone = Phone(gateway.url, SID, SecretStr(TOKEN), http_timeout=DEADLINE)
        started = time.monotonic()
        with pytest.raises(SmsGatewayStalled) as info:
            phone.check()
        seconds = time.monotonic() - started
    message = str(info.value)
    print(f"SMS gateway {mode} at {where}: {seconds:.2f} s: {message}")
    assert DEADLINE - 0.1 <= seconds < DEADLINE + MARGIN, f"took {seconds:.2f} s"
    assert gateway.url in message, message
    _one_sentence(message, TOKEN)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert not _timers(), "the deadline's timer outlived the call"


@pytest.fixture(scope="module")
def request_context() -> Iterator[Callable[[str], APIRequestContext]]:
    """Playwright's APIRequestContext (the run's admin and hook client: no browser), per server."""
    with sync_playwright() as playwright:
        made: list[APIRequestContext] = []

        def make(base_url: str) -> APIRequestContext:
            context = playwright.request.new_context(base_url=base_url, timeout=DEADLINE * 1000)
            made.append(context)
            return context

        yield make
        for context in made:
            context.dispose()


def _created(method: str, path: str) -> Answer:
    return 201, {"ok": True}


@pytest.mark.timeout(15)
@pytest.mark.parametrize(("mode", "where"), CASES)
def test_an_admin_api_that_stalls_or_trickles_ends_at_the_deadline_in_one_sentence(
        request_context: Callable[[str], APIRequestContext], mode: Mode, where: Where) -> None:
    api = load_profile("sandbox").admin_api
    assert api is not None
    with hostile_http("POST", "/api/admin/users", mode, where, _created) as server:
        channel = ApiChannel(request_context(server.url), api, SecretStr(ADMIN_TOKEN), DEADLINE)
        started = time.monotonic()
        with pytest.raises(ServerStalled) as info:
            channel.create("qa+stalled@hostile.test", SecretStr("pw-" + ADMIN_TOKEN[::-1]), "member")
        seconds = time.monotonic() - started
    message = str(info.value)
    print(f"admin API {mode} at {where}: {seconds:.2f} s: {message}")
    assert DEADLINE - 0.1 <= seconds < DEADLINE + MARGIN, f"took {seconds:.2f} s"
    assert server.url in message and "POST /api/admin/users (creating user" in message, message
    assert ("headers" in message) == (where == "body"), message
    _one_sentence(message, ADMIN_TOKEN, ADMIN_TOKEN[::-1])
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.timeout(15)
def test_a_test_hook_that_trickles_ends_at_the_deadline_in_one_sentence(
        request_context: Callable[[str], APIRequestContext]) -> None:
    hooks = load_profile("sandbox").hooks
    with hostile_http("POST", "/__test__/sessions/backdate", "trickle", "body", _created) as server:
        test_hooks = TestHooks(request_context(server.url), hooks, SecretStr(HOOK_TOKEN), DEADLINE)
        started = time.monotonic()
        with pytest.raises(ServerStalled) as info:
            test_hooks.backdate_sessions("qa+hook@hostile.test", idle_seconds=60)
        seconds = time.monotonic() - started
    message = str(info.value)
    print(f"test hook trickle at body: {seconds:.2f} s: {message}")
    assert DEADLINE - 0.1 <= seconds < DEADLINE + MARGIN, f"took {seconds:.2f} s"
    assert server.url in message and "test hook backdate_sessions" in message, message
    _one_sentence(message, HOOK_TOKEN)


@pytest.mark.timeout(15)
@pytest.mark.parametrize(("mode", "where"), CASES)
def test_a_preflight_get_that_stalls_or_trickles_ends_at_the_deadline(mode: Mode, where: Where) -> None:
    """urllib bounds each read: a status line and headers trickled a byte at a time never ended
    (before: still running when killed at 20 s)."""
    with hostile_http("GET", "/api/session", mode, where, _gateway) as app:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded) as stalled:
            httpget.get(app.url + "/api/session", DEADLINE)
        seconds = time.monotonic() - started
    print(f"preflight GET, {mode} at {where}: {seconds:.2f} s: {stalled.value}")
    assert seconds < DEADLINE + MARGIN
    said = "sent its headers but not the rest" if where == "body" else "did not answer within"
    assert said in str(stalled.value) and f"within {DEADLINE:g} s" in str(stalled.value)
    assert not _timers()


# -- the whole run: a tiny check that creates a user, against an admin API that trickles -----

CHECK = """
def test_creates_a_user(authprobe_users):
    authprobe_users.create()
"""


def _app(method: str, path: str) -> Answer:
    """The sandbox profile's endpoints as preflight and the run's sweep need them."""
    if path.startswith("/api/session"):
        return 200, {"authenticated": False}
    if method == "GET" and path.startswith("/api/admin/users"):
        return 200, {"users": []}
    if method == "DELETE":
        return 404, {"error": "no such user"}  # preflight's token check, and the removal
    return 404, {"error": "not found"}


@pytest.mark.timeout(45)
@pytest.mark.parametrize(("method", "path", "where", "when"), [
    ("DELETE", "/api/admin/users/", "body", "checking E2E_ADMIN_TOKEN"),  # preflight's call
    ("DELETE", "/api/admin/users/", "headers", "checking E2E_ADMIN_TOKEN"),  # urllib's header reads
    ("POST", "/api/admin/users", "headers", "creating user"),  # a check's throwaway user
])
def test_a_run_whose_admin_api_trickles_ends_with_exit_3_in_one_sentence(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, method: str, path: str,
        where: Where, when: str) -> None:
    pytester.makepyfile(test_tiny=CHECK)
    with (hostile_http(method, path, "trickle", where, _app) as app,
          hostile_imap("fetch", "stall") as imap):  # the mailbox opens; nothing here fetches
        for name, value in {"E2E_TARGET": "sandbox", "E2E_BASE_URL": app.url,
                            "E2E_ADMIN_TOKEN": ADMIN_TOKEN, "E2E_HTTP_TIMEOUT": f"{DEADLINE:g}",
                            "E2E_IMAP_HOST": "127.0.0.1", "E2E_IMAP_PORT": str(imap.port),
                            "E2E_IMAP_USER": "qa", "E2E_IMAP_PASSWORD": IMAP_PASSWORD,
                            "E2E_IMAP_SSL": "false", "E2E_MAIL_ADDRESS": ADDRESS}.items():
            monkeypatch.setenv(name, value)
        started = time.monotonic()
        result = pytester.runpytest_subprocess("--authprobe", "-p", "no:randomly",
                                               "-p", "no:cacheprovider", timeout=40)
        seconds = time.monotonic() - started
        asked = list(app.requests)
    out = result.stdout.str() + result.stderr.str()
    print(f"whole run, admin API trickles at {where} ({when}): exit {result.ret}, {seconds:.1f} s\n{out}")
    assert any(line.startswith(f"{method} {path}") for line in asked), asked
    assert result.ret == 3, f"a trickling admin API should end the run with exit 3:\n{out}"
    assert seconds < DEADLINE + 10, f"took {seconds:.1f} s"
    sentence = [line for line in out.splitlines() if "E2E_HTTP_TIMEOUT" in line]
    assert sentence and app.url in sentence[0] and when in sentence[0], out
    assert "Traceback" not in out and "TimeoutError" not in out
    assert ADMIN_TOKEN not in out and IMAP_PASSWORD not in out
