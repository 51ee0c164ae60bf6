"""Every IMAP stage ends by its deadline: a server that stalls or trickles (one byte per 0.5 s,
so every single read is quick) at any stage ends the mailbox operation in one sentence that
names the server, the stage, the limit and the setting that raises it, never the password."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from authprobe.errors import MailServerStalled
from authprobe.oob.mail import _IDLE_SLICE, Inbox
from tests.hostile_imap import ADDRESS, MAIL_TO, PASSWORD, Mode, Stage, hostile_imap

DEADLINE = 1.0  # E2E_IMAP_TIMEOUT in these tests
MARGIN = 1.0  # a stalled operation ends this soon after its deadline
OPENING_DEADLINE = 2.0  # the whole-opening test: answers 0.8 s apart, the 3rd (LOGIN) crosses it
# The words each stage is named by in the sentence.
NAMED = {"greeting": "greeting", "login": "login", "select": "select", "search": "search",
         "fetch": "fetch", "delete": "delete", "idle": "IDLE start", "idle_done": "IDLE done"}
OPENING: tuple[Stage, ...] = ("greeting", "login", "select")
# IDLE done comes after one IDLE slice in which nothing arrived
LEAD = {"idle_done": _IDLE_SLICE}


def _inbox(port: int, deadline: float = DEADLINE) -> Inbox:
    return Inbox("127.0.0.1", port, "qa", SecretStr(PASSWORD), ssl=False, address_base=ADDRESS,
                 imap_timeout=deadline)


def _stalled_at(stage: Stage, mode: Mode) -> tuple[MailServerStalled, float, str]:
    """Drive the real Inbox into the stage; the error, the seconds it took, and the server."""
    with hostile_imap(stage, mode) as server:
        inbox = _inbox(server.port)
        started = time.monotonic()
        with pytest.raises(MailServerStalled) as info, inbox:
            if stage in OPENING:
                pytest.fail(f"the mailbox opened although the server stalls at {stage}")
            started = time.monotonic()
            inbox.wait_for(to=MAIL_TO, timeout=30)
        return info.value, time.monotonic() - started, server.where


@pytest.mark.timeout(20)
@pytest.mark.parametrize("mode", ["trickle", "stall"])
@pytest.mark.parametrize("stage", list(NAMED))
def test_an_imap_stage_that_stalls_or_trickles_ends_at_its_deadline_in_one_sentence(
        stage: Stage, mode: Mode) -> None:
    error, seconds, where = _stalled_at(stage, mode)
    message = str(error)
    print(f"{stage} {mode}: {seconds:.2f} s: {message}")
    assert seconds < DEADLINE + LEAD.get(stage, 0) + MARGIN, f"{stage} took {seconds:.1f} s"
    assert seconds >= DEADLINE - 0.1, f"{stage} gave up before its deadline ({seconds:.2f} s)"
    assert where in message and f"{DEADLINE:g} s" in message and "E2E_IMAP_TIMEOUT" in message
    assert NAMED[stage] in message, message
    assert PASSWORD not in message and PASSWORD not in repr(error.args)
    assert message.count(". ") == 0 and message.endswith("."), "one sentence"
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


@pytest.mark.timeout(20)
def test_opening_the_mailbox_is_bounded_as_a_whole_even_when_each_stage_is_quick() -> None:
    """Greeting, CAPABILITY, LOGIN and SELECT each answer within 0.8 s, well inside the 2 s a
    stage may take; together they pass 2 s, and opening the mailbox is one operation with one
    deadline."""
    with hostile_imap("greeting", "slow") as server:
        inbox = _inbox(server.port, OPENING_DEADLINE)
        started = time.monotonic()
        with pytest.raises(MailServerStalled) as info, inbox:
            pytest.fail("the mailbox opened although opening it took longer than its deadline")
        seconds = time.monotonic() - started
    print(f"opening, each stage 0.8 s late: {seconds:.2f} s: {info.value}")
    assert OPENING_DEADLINE - 0.1 <= seconds < OPENING_DEADLINE + MARGIN
    assert f"within {OPENING_DEADLINE:g} s at the login stage" in str(info.value)  # the 3rd answer


@pytest.mark.timeout(20)
def test_a_tls_handshake_that_never_answers_ends_at_the_deadline() -> None:
    with hostile_imap("greeting", "stall") as server:  # plain TCP that says nothing: no ServerHello
        inbox = Inbox("127.0.0.1", server.port, "qa", SecretStr(PASSWORD), ssl=True,
                      address_base=ADDRESS, imap_timeout=DEADLINE)
        started = time.monotonic()
        with pytest.raises(MailServerStalled, match="TLS") as info, inbox:
            pass
        seconds = time.monotonic() - started
    assert seconds < DEADLINE + MARGIN
    assert server.where in str(info.value) and "E2E_IMAP_TIMEOUT" in str(info.value)


# -- the whole run: a pytest run of a tiny authprobe check against the hostile server ---------

CHECK = """
def test_reads_mail(authprobe_inbox):
    authprobe_inbox.wait_for(to=authprobe_inbox.address("stalled"), timeout=5)
"""


class _SignedOut(http.server.BaseHTTPRequestHandler):
    """The sandbox profile's session endpoint, saying nobody is signed in (preflight passes)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"authenticated": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def signed_out_app() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SignedOut)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("stage", "when"), [("login", "preflight"), ("search", "a check")])
def test_a_run_whose_imap_server_stalls_ends_with_exit_3_in_one_sentence(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, signed_out_app: str,
        stage: Stage, when: str) -> None:
    pytester.makepyfile(test_tiny=CHECK)
    with hostile_imap(stage, "trickle") as server:
        for name, value in {"E2E_TARGET": "sandbox", "E2E_BASE_URL": signed_out_app,
                            "E2E_IMAP_HOST": "127.0.0.1", "E2E_IMAP_PORT": str(server.port),
                            "E2E_IMAP_USER": "qa", "E2E_IMAP_PASSWORD": PASSWORD,
                            "E2E_IMAP_SSL": "false", "E2E_MAIL_ADDRESS": ADDRESS,
                            "E2E_IMAP_TIMEOUT": f"{DEADLINE:g}"}.items():
            monkeypatch.setenv(name, value)
        started = time.monotonic()
        result = pytester.runpytest_subprocess("--authprobe", "-p", "no:randomly",
                                               "-p", "no:cacheprovider", timeout=25)
        seconds = time.monotonic() - started
    out = result.stdout.str() + result.stderr.str()
    print(f"{when}: exit {result.ret} after {seconds:.1f} s\n{out}")
    assert result.ret == 3, f"the IMAP stall during {when} should end the run with exit 3:\n{out}"
    assert seconds < DEADLINE + 10
    sentence = [line for line in out.splitlines() if "E2E_IMAP_TIMEOUT" in line]
    assert sentence and server.where in sentence[0] and NAMED[stage] in sentence[0], out
    assert "Traceback" not in out and "TimeoutError" not in out and PASSWORD not in out
