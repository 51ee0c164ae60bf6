"""Advice that never hides a finding (issue 27): a 5xx from the session endpoint is the backend
failing, so no message suggests listing it in `session_probe.signed_out_status`; a status that
may well mean "signed out" (401, a redirect) still gets that advice."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import sync_playwright

from authprobe.errors import CheckFailed, SessionEndpointFailed, SessionProbeError
from authprobe.oracle.session import BackendSession, parse_roles_answer, parse_session_answer
from authprobe.profile import SessionProbe
from tests.webserver import serve

URL = "http://app.test/api/session"


@pytest.mark.parametrize(("status", "content_type", "body"), [
    (500, "application/json", "{}"),
    (502, "text/html", "<html>Bad gateway</html>"),  # a crash page is not a wrong URL either
    (503, "application/json", json.dumps({"authenticated": False})),
])
def test_a_server_error_is_named_as_one_and_never_offered_as_signed_out(
    status: int, content_type: str, body: str,
) -> None:
    for parse in (parse_session_answer, parse_roles_answer):
        with pytest.raises(SessionProbeError) as caught:
            parse(SessionProbe(), status, content_type, body, URL)
        message = str(caught.value)
        assert f"answered HTTP {status}: the backend failed, not a signed-out state" in message
        assert "signed_out_status" not in message


@pytest.mark.parametrize("status", [401, 403, 302])
def test_a_status_that_may_mean_signed_out_still_gets_the_advice(status: int) -> None:
    probe = SessionProbe(signed_out_status=[419])
    with pytest.raises(SessionProbeError) as caught:
        parse_session_answer(probe, status, "application/json", "{}", URL)
    assert f"list {status} in session_probe.signed_out_status" in str(caught.value)


@pytest.mark.parametrize("status", [400, 429])
def test_a_client_error_that_does_not_mean_signed_out_gets_no_such_advice(status: int) -> None:
    with pytest.raises(SessionProbeError) as caught:
        parse_session_answer(SessionProbe(), status, "application/json", "{}", URL)
    assert "signed_out_status" not in str(caught.value) and "session_probe.url" in str(caught.value)


def test_a_server_error_during_a_check_is_a_finding_with_its_evidence() -> None:
    """Read through the browser's request context, as a check does (no browser needed)."""
    routes = {"/api/session": (500, "text/plain", "Internal Server Error: session store down")}
    with serve(routes) as base_url, sync_playwright() as playwright:
        request = playwright.request.new_context(base_url=base_url)
        try:
            with pytest.raises(SessionEndpointFailed) as caught:
                BackendSession(request, SessionProbe(), timeout_s=5).read()
        finally:
            request.dispose()
    assert isinstance(caught.value, CheckFailed) and isinstance(caught.value, AssertionError)
    message = str(caught.value)
    assert "answered HTTP 500 during the check: the backend failed, not a signed-out state" in message
    assert f"GET {base_url}/api/session → 500 Internal Server Error: session store down" in message
    assert "signed_out_status" not in message
