"""The audit names the stub itself: requests-mock's decorators and their mocker, cassettes
(vcrpy, pytest-recording, betamax) at the line that makes the target be replayed, httmock's
handlers and pook; and takes no dict, helper parameter or other `vcr` for a mocking library.

Each source is planted as `e2e/test_x.py` under a project whose target is https://app.example;
the whole report of the file is asserted, line by line.
"""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest

from authprobe.audit import HTTP_MOCK, audit_command, audit_tree

pytestmark = pytest.mark.hygiene

INI = "[pytest]\nbase_url = https://app.example\n"
REPLAYS = "replays recorded answers from {} in place of the target"


def report(root: Path, code: str) -> list[tuple[int, str]]:
    """The (line, what) of every finding of `code` planted as a test file of a suite."""
    (root / "e2e").mkdir()
    (root / "pytest.ini").write_text(INI)
    (root / "e2e" / "test_x.py").write_text(dedent(code).lstrip())
    return [(finding.line, finding.what) for finding in audit_tree(root)]


REQUESTS_MOCK = [
    pytest.param("""
        import requests_mock

        @requests_mock.Mocker()
        def test_me(m):
            m.get("https://app.example/api/me", json={})
            m.register_uri("POST", "/api/session", status_code=201)
        """, [(5, "`requests-mock` stub answers GET 'https://app.example/api/me'"),
              (6, "`requests-mock` stub answers POST '/api/session'")], id="Mocker-decorator"),
    pytest.param("""
        import unittest

        import requests_mock


        class TestMe(unittest.TestCase):
            @requests_mock.mock()
            def test_me(self, mocked):
                mocked.post("https://app.example/login", status_code=302)
        """, [(9, "`requests-mock` stub answers POST 'https://app.example/login'")], id="mock-method"),
    pytest.param("""
        from requests_mock import Mocker


        @Mocker(kw="rm")
        class TestProfile:
            def test_profile(self, rm):
                rm.get("/api/profile", json={})
        """, [(7, "`requests-mock` stub answers GET '/api/profile'")], id="Mocker-class-kw"),
    pytest.param("""
        import requests_mock

        def test_me():
            with requests_mock.Mocker() as m:
                m.delete("https://app.example/api/session")
        """, [(5, "`requests-mock` stub answers DELETE 'https://app.example/api/session'")], id="with"),
    pytest.param("""
        from aioresponses import aioresponses


        @aioresponses()
        async def test_me(mocked):
            mocked.get("https://app.example/api/me", payload={})
        """, [(6, "`aioresponses` stub answers GET 'https://app.example/api/me'")], id="aioresponses"),
    pytest.param("""
        import pook


        @pook.on
        def test_session():
            pook.get("https://app.example/api/session").reply(200)
            pook.post("https://api.stripe.com/v1/charges").reply(200)
        """, [(6, "`pook` stub answers GET 'https://app.example/api/session'")], id="pook"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "expected"), REQUESTS_MOCK)
def test_a_mocker_handed_to_the_test_is_named_at_its_stub(
    tmp_path: Path, code: str, expected: list[tuple[int, str]]
) -> None:
    assert report(tmp_path, code) == expected


CASSETTES = [
    pytest.param("""
        import vcr

        @vcr.use_cassette("cassettes/login.yaml")
        def test_login(page):
            page.goto("/login")


        def test_session(page):
            with vcr.use_cassette("cassettes/session.yaml"):
                page.goto("/account")
        """, [(3, "`vcrpy` " + REPLAYS.format("cassette 'cassettes/login.yaml'")),
              (9, "`vcrpy` " + REPLAYS.format("cassette 'cassettes/session.yaml'"))], id="vcr"),
    pytest.param("""
        import vcr

        my_vcr = vcr.VCR(cassette_library_dir="cassettes", record_mode="none")


        @my_vcr.use_cassette(
            "admin.yaml",
        )
        def test_admin(page):
            page.goto("/admin")
        """, [(6, "`vcrpy` " + REPLAYS.format("cassette 'admin.yaml'"))], id="VCR-instance"),
    pytest.param("""
        import vcr

        vcr = vcr.VCR(record_mode="none")


        @vcr.use_cassette(path="users.yaml")
        def test_users(page):
            page.goto("/users")
        """, [(6, "`vcrpy` " + REPLAYS.format("cassette 'users.yaml'"))], id="VCR-named-vcr"),
    pytest.param("""
        from vcr import use_cassette


        @use_cassette()
        def test_users(page):
            page.goto("/users")
        """, [(4, "`vcrpy` " + REPLAYS.format("the test's cassette"))], id="use_cassette-imported"),
    pytest.param("""
        import pytest


        @pytest.mark.vcr("roles.yaml", record_mode="none")
        def test_roles(page):
            page.goto("/roles")


        @pytest.mark.vcr
        def test_teams(page):
            page.goto("/teams")
        """, [(4, "`@pytest.mark.vcr` " + REPLAYS.format("cassette 'roles.yaml'")),
              (9, "`@pytest.mark.vcr` replays recorded HTTP")], id="pytest-recording"),
    pytest.param("""
        import requests
        from betamax import Betamax


        def test_api():
            session = requests.Session()
            with Betamax(session).use_cassette("api_session"):
                session.get("https://app.example/api/session")


        def test_me():
            session = requests.Session()
            recorder = Betamax(session, cassette_library_dir="cassettes")
            with recorder.use_cassette(cassette_name="me"):
                session.get("https://app.example/api/me")
        """, [(7, "`betamax` " + REPLAYS.format("cassette 'api_session'")),
              (14, "`betamax` " + REPLAYS.format("cassette 'me'"))], id="betamax"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "expected"), CASSETTES)
def test_a_cassette_is_named_at_the_line_that_replays_it(
    tmp_path: Path, code: str, expected: list[tuple[int, str]]
) -> None:
    assert report(tmp_path, code) == expected


def test_httmock_handlers_that_can_answer_the_target_are_named_at_their_decorator(tmp_path: Path) -> None:
    code = r"""
        from httmock import HTTMock, all_requests, urlmatch


        @urlmatch(netloc=r"app\.example", path="/api/session")
        def session_ok(url, request):
            return {"status_code": 200, "content": "{}"}


        @urlmatch(netloc=r"(.*\.)?slack\.com$")
        def slack(url, request):
            return {"status_code": 200}


        @all_requests
        def anything(url, request):
            return {"status_code": 200}


        def fallback(url, request):
            return None


        def test_x():
            with HTTMock(session_ok, slack, anything):
                pass
            with HTTMock(slack, fallback):
                pass
        """
    assert report(tmp_path, code) == [
        (4, r"`httmock` handler `session_ok` answers netloc='app\\.example', path='/api/session'"),
        (14, "`httmock` handler `anything` answers every request"),
        (26, "`httmock` handler `fallback` can answer every request"),
    ]


NOT_STUBS = [
    pytest.param("""
        import requests_mock


        def test_mocked():
            with requests_mock.Mocker() as m:
                m.get("https://app.example/api/me", json={})


        def test_plain(page):
            m = {"https://app.example/api/me": 1}
            assert m.get("https://app.example/api/me")


        def lookup(m, url):
            return m.get("https://app.example/api/me")
        """, [(6, "`requests-mock` stub answers GET 'https://app.example/api/me'")], id="m-is-a-dict"),
    pytest.param("""
        from studio.recorders import vcr


        @vcr.use_cassette("tape-1")
        def test_tape(page):
            page.goto("/tapes")
        """, [], id="vcr-not-vcrpy"),
    pytest.param("""
        import vcr


        class Player:
            def use_cassette(self, name):
                return name


        def test_player(page):
            vcr = Player()
            vcr.use_cassette("tape-2")
        """, [(1, "HTTP mocking library `vcrpy` imported")], id="vcr-rebound-locally"),
    pytest.param("""
        from httmock import HTTMock, urlmatch


        @urlmatch(netloc=r"(.*\\.)?slack\\.com$")
        def slack(url, request):
            return {"status_code": 200}


        def test_x():
            with HTTMock(slack):
                pass
        """, [(1, "HTTP mocking library `httmock` imported")], id="httmock-third-party"),
    pytest.param("""
        import vcr

        @vcr.use_cassette("stripe.yaml")  # audit: allow records the payment provider only, never the target
        def test_pay(page):
            page.goto("/pay")
        """, [], id="allowed-cassette"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "expected"), NOT_STUBS)
def test_what_only_looks_like_a_stub_is_not_one(
    tmp_path: Path, code: str, expected: list[tuple[int, str]]
) -> None:
    assert report(tmp_path, code) == expected


def test_sarif_points_at_the_decorator_and_the_stub_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = """
        import pytest
        import requests_mock
        import vcr


        @vcr.use_cassette("cassettes/login.yaml")
        def test_login(page):
            page.goto("/login")


        @pytest.mark.vcr("roles.yaml")
        def test_roles(page):
            page.goto("/roles")


        @requests_mock.Mocker()
        def test_me(m):
            m.get("https://app.example/api/me", json={})
        """
    report(tmp_path, code)
    assert audit_command(str(tmp_path), output="sarif") == 1
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
            r["message"]["text"].split(" — ")[0],
        )
        for r in results
    ] == [
        ("e2e/test_x.py", 6, HTTP_MOCK, "`vcrpy` " + REPLAYS.format("cassette 'cassettes/login.yaml'")),
        ("e2e/test_x.py", 11, HTTP_MOCK, "`@pytest.mark.vcr` " + REPLAYS.format("cassette 'roles.yaml'")),
        ("e2e/test_x.py", 18, HTTP_MOCK, "`requests-mock` stub answers GET 'https://app.example/api/me'"),
    ]
    # one sentence: what replaces the target, then why and what to do
    assert all(r["message"]["text"].endswith("remove it, or say why: `# audit: allow <reason>`")
               for r in results)  # fmt: skip
