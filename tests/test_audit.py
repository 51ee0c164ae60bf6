"""The suite audit: what in an end-to-end suite answers, rewrites or short-circuits the target.

Two realistic suites on disk (tests/corpus/audit/): `planted/` with every kind of finding in
more than one spelling, `clean/` with none; authprobe's own suite must be clean too.
"""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest

from authprobe.audit import (
    AUTH_STATE,
    BARE_ALLOW,
    CREDENTIAL,
    HTTP_MOCK,
    PATCH,
    ROUTE,
    RULES,
    AuditFinding,
    allow_reason,
    audit_command,
    audit_tree,
    is_credential_name,
    suite_files,
)
from authprobe.audit.discovery import PROFILE_SECTIONS
from authprobe.errors import ConfigError
from authprobe.profile import TargetProfile

pytestmark = pytest.mark.hygiene

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus" / "audit"
PLANTED = CORPUS / "planted"
CLEAN_SUITE = CORPUS / "clean"

# (path under planted/, line, kind): the whole report, nothing more.
PLANTED_FINDINGS = {
    # 1. routes on the target's origin, whatever the handler does
    ("conftest.py", 29, ROUTE),  # page.route, glob, auth endpoint fulfilled
    ("conftest.py", 52, ROUTE),  # ... under a bare allow (see 6.)
    ("tests/test_dashboard.py", 23, ROUTE),  # context.route "**/*", named handler fulfils
    ("tests/test_dashboard.py", 29, ROUTE),  # a regex
    ("tests/test_dashboard.py", 35, ROUTE),  # aborts images of the target
    ("tests/test_dashboard.py", 41, ROUTE),  # a predicate
    ("tests/test_dashboard.py", 47, ROUTE),  # route_from_har
    ("tests/test_dashboard.py", 53, ROUTE),  # continue_ with changed headers, the target's host
    ("tests/test_checkout.py", 15, ROUTE),  # browser_context.route, f"{BASE_URL}/..."
    # 2. HTTP-mocking libraries: the stub itself where the audit follows one on the target,
    #    else what makes the mock possible (the import, fixture or mark)
    ("conftest.py", 36, HTTP_MOCK),  # httpserver.expect_request(...) (not its import nor fixture)
    ("tests/test_checkout.py", 57, HTTP_MOCK),  # @vcr.use_cassette("...") (not `import vcr`)
    ("tests/test_checkout.py", 22, HTTP_MOCK),  # @pytest.mark.vcr
    ("tests/test_checkout.py", 28, HTTP_MOCK),  # requests_mock fixture: its stub is on another host
    ("tests/test_api.py", 39, HTTP_MOCK),  # respx.get(f"{API_URL}/orders") (not `import respx`)
    # 3. patches of code outside the suite
    ("conftest.py", 24, PATCH),  # monkeypatch.setattr(time, "sleep", ...)
    ("tests/test_checkout.py", 16, PATCH),  # mocker.patch("flows.auth.time.sleep"): time, via ours
    ("tests/test_checkout.py", 37, PATCH),  # mocker.patch("shop_client....")
    ("tests/test_checkout.py", 42, PATCH),  # @mock.patch(...) decorator
    ("tests/test_checkout.py", 51, PATCH),  # monkeypatch.setattr(pyotp.TOTP, "verify", ...)
    ("tests/test_api.py", 45, PATCH),  # monkeypatch.setattr("requests.Session.send", ...)
    # 4. auth state planted instead of earned
    ("conftest.py", 19, AUTH_STATE),  # browser_context_args returns storage_state
    ("flows/storage.py", 13, AUTH_STATE),  # new_context(storage_state="auth/state.json")
    ("flows/storage.py", 20, AUTH_STATE),  # extra_http_headers with Cookie
    ("tests/test_api.py", 14, AUTH_STATE),  # new_context(storage_state=...)
    ("tests/test_api.py", 21, AUTH_STATE),  # set_extra_http_headers Authorization
    ("tests/test_login.py", 32, AUTH_STATE),  # context.add_cookies
    ("tests/test_login.py", 40, AUTH_STATE),  # add_init_script localStorage.setItem('auth_token')
    ("tests/test_login.py", 50, AUTH_STATE),  # evaluate writing document.cookie
    ("auth/state.json", 2, AUTH_STATE),  # the committed storage state itself
    # 5. credentials, by name or by where the literal goes
    (".env.example", 4, CREDENTIAL),  # SHOP_USER_PASSWORD=...
    ("pyproject.toml", 8, CREDENTIAL),  # reports_api_key under a bare allow (see 6.)
    ("conftest.py", 13, CREDENTIAL),  # ADMIN_PASSWORD = "..."
    ("flows/auth.py", 10, CREDENTIAL),  # os.environ.get("SHOP_SERVICE_TOKEN", "literal")
    ("flows/auth.py", 22, CREDENTIAL),  # literal Authorization header
    ("flows/auth.py", 28, CREDENTIAL),  # f"https://ops:<literal>@{host}/admin"
    ("pages/login_page.py", 24, CREDENTIAL),  # self.password.fill("literal")
    ("pages/account_page.py", 23, CREDENTIAL),  # confirm.type("literal"), a password locator
    ("tests/test_login.py", 10, CREDENTIAL),  # sign_in(page, email, "literal")
    ("tests/test_login.py", 23, CREDENTIAL),  # pw = "literal" later fill()ed into #password
    ("tests/test_login.py", 41, CREDENTIAL),  # a JWT in an init script
    ("tests/test_api.py", 27, CREDENTIAL),  # literal Cookie header of an httpx call
    ("tests/test_api.py", 32, CREDENTIAL),  # {"password": "literal"}
    ("tests/test_api.py", 34, CREDENTIAL),  # auth=("ops", "literal")
    # 6. allows without a reason
    ("conftest.py", 52, BARE_ALLOW),  # "# audit: allow"
    ("tests/test_api.py", 45, BARE_ALLOW),  # "#audit: allow --"
    ("pyproject.toml", 8, BARE_ALLOW),  # in a TOML comment
}

# Every literal credential planted: no report may repeat one.
PLANTED_VALUES = [
    "Winter-is-c0ming", "Adm1n!Spring2024", "Supp0rt#2024", "svc-9f8e7d6c5b4a39281706",
    "2b7e151628aed2a6abf7158809cf4f3c", "C0nsole-Pass", "L0cked-0ut!", "eyJhbGciOiJIUzI1NiJ9",
    "7c1e9a0b52d34f6e", "0ps-Health!", "Basic-0ps-Pass", "rk_2f6a9c1d8e7b4a53",
    "rt_5d41402abc4b2a76b9719d911017c592", "not-her-password",
]  # fmt: skip


def found(root: Path) -> set[tuple[str, int, str]]:
    return {(Path(f.path).relative_to(root).as_posix(), f.line, f.kind) for f in audit_tree(root)}


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip())
    return root


def whats(findings: list[AuditFinding]) -> list[tuple[str, int, str]]:
    return [(Path(f.path).name, f.line, f.what) for f in findings]


# ---------------------------------------------------------------- the two suites on disk


def test_planted_suite_every_finding_by_file_line_and_kind() -> None:
    assert found(PLANTED) == PLANTED_FINDINGS


def test_planted_suite_has_each_kind_in_more_than_one_spelling() -> None:
    by_kind: dict[str, set[tuple[str, int]]] = {}
    for path, line, kind in PLANTED_FINDINGS:
        by_kind.setdefault(kind, set()).add((path, line))
    assert set(by_kind) == {ROUTE, HTTP_MOCK, PATCH, AUTH_STATE, CREDENTIAL, BARE_ALLOW}
    assert all(len(places) >= 2 for places in by_kind.values()), by_kind


def test_planted_suite_text_report_names_no_credential(capsys: pytest.CaptureFixture[str]) -> None:
    corpus = "".join(p.read_text() for p in suite_files(PLANTED))
    assert [value for value in PLANTED_VALUES if value not in corpus] == []
    assert audit_command(str(PLANTED)) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == len(PLANTED_FINDINGS)
    assert f"{PLANTED}/tests/test_login.py:10: literal `password` argument of sign_in() — " in (
        captured.out
    )
    assert captured.err == f"{len(PLANTED_FINDINGS)} finding(s).\n"
    leaked = [value for value in PLANTED_VALUES if value in captured.out + captured.err]
    assert leaked == []


def test_allows_with_a_reason_suppress_their_line() -> None:
    conftest = (PLANTED / "conftest.py").read_text().splitlines()
    assert "audit: allow the outage banner" in conftest[53 - 1]
    assert ("conftest.py", 53, ROUTE) not in found(PLANTED)
    login = (PLANTED / "tests/test_login.py").read_text().splitlines()
    assert "audit: allow deliberately wrong" in login[17 - 1]
    assert not {f for f in found(PLANTED) if f[:2] == ("tests/test_login.py", 17)}


def test_clean_suite_has_no_findings(capsys: pytest.CaptureFixture[str]) -> None:
    files = list(suite_files(CLEAN_SUITE))
    names = {p.relative_to(CLEAN_SUITE).as_posix() for p in files}
    assert {"conftest.py", ".env.example", "pages/login_page.py", "flows/accounts.py",
            "tests/test_login.py", "tests/data/locales.json", "pyproject.toml"} <= names
    assert audit_tree(CLEAN_SUITE) == []
    assert audit_command(str(CLEAN_SUITE)) == 0
    assert capsys.readouterr().out == f"audit: 0 findings in {len(files)} files\n"


def test_authprobe_own_suite_has_no_findings() -> None:
    audited = {p.relative_to(ROOT).parts[0] for p in suite_files(ROOT)}
    assert {"e2e", "pages", "flows", "targets"} <= audited
    assert not audited & {"tests", "sandbox", "bench", "harness"}
    assert [str(f) for f in audit_tree(ROOT)] == []


# ---------------------------------------------------------------- SARIF


def test_sarif_report_of_the_planted_suite(capsys: pytest.CaptureFixture[str]) -> None:
    assert audit_command(str(PLANTED), output="sarif") == 1
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["version"] == "2.1.0"
    [run] = report["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "authprobe audit"
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert set(rules) == set(RULES)
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules.values())
    results = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in run["results"]
    }
    assert results == PLANTED_FINDINGS
    assert all(driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert all(r["message"]["text"] for r in run["results"])
    assert [value for value in PLANTED_VALUES if value in out] == []


def test_sarif_report_of_a_clean_suite_has_no_results(capsys: pytest.CaptureFixture[str]) -> None:
    assert audit_command(str(CLEAN_SUITE), output="sarif") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["runs"][0]["results"] == []


def test_sarif_of_a_missing_root_exits_2_and_keeps_stdout_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit_command(str(tmp_path / "nope"), output="sarif") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "is not a folder" in captured.err


# ---------------------------------------------------------------- rules one by one

CLEAN = {
    "e2e/conftest.py": """
        import pytest

        @pytest.fixture
        def static_assets(page):
            page.route("https://cdn.example.net/**/*.png", lambda route: route.fulfill(status=204))
            page.route("**/api/session", lambda route: route.continue_())
            yield page
        """,
    "flows/login.py": """
        from pydantic import SecretStr

        from authprobe.settings import Settings

        def sign_in(page, settings: Settings, password_label: str = "Password") -> None:
            password = settings.imap_password
            token_ttl = "15m"
            odd = SecretStr(" sp ace ünïcødé ")  # audit: allow (throwaway user's password)
            page.get_by_label(password_label).fill(password.get_secret_value())
            page.context.request.patch("/api/users/1/session", data={"role": "admin"})
        """,
    "pages/login.py": """
        class LoginPage:
            password_field_name = "Password"
            token: str = ""
        """,
    "targets/sandbox.toml": """
        [paths]
        login = "/login"
        password_change = "/account/password"
        [policy]
        reset_token_ttl = "15m"
        password_label = "Password"
        [admin_api]
        create_user = { path = "/api/users", json = { password = "{password}" } }
        token = "${E2E_ADMIN_TOKEN}"
        """,
}


def test_clean_tree_has_no_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plant(tmp_path, CLEAN)
    assert audit_tree(tmp_path) == []
    assert audit_command(str(tmp_path)) == 0
    assert capsys.readouterr().out == f"audit: 0 findings in {len(CLEAN)} files\n"


def test_conftest_stubbing_the_session_endpoint_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plant(tmp_path, CLEAN)
    plant(
        tmp_path,
        {
            "conftest.py": """
            import json

            def logged_in(page):
                page.route("**/api/session", lambda r: r.fulfill(json={"authenticated": True}))
            """
        },
    )

    assert whats(audit_tree(tmp_path)) == [
        ("conftest.py", 4, "route stub fulfils '**/api/session'")
    ]
    assert audit_command(str(tmp_path)) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path}/conftest.py:4: route stub fulfils '**/api/session' — ")
    assert "instead of the real backend" in out and out.rstrip().endswith("[route-stub]")


@pytest.mark.parametrize(
    ("pattern", "flagged"),
    [
        ('"**/*"', True),
        ('"**/*.png"', True),  # the target's own images
        ('"**/api/**"', True),
        ('"/api/login"', True),  # relative: resolved against the base URL
        ('re.compile(r".*/graphql$")', True),
        ("lambda url: 'orders' in url", True),
        ('f"{base_url}/api/**"', True),
        ('settings.base_url + "/api/**"', True),
        ('os.environ["E2E_BASE_URL"] + "/**"', True),
        ("PATTERN", True),  # bound below to the target's literal host
        ('"http://localhost:8000/api/**"', True),
        ('"https://*/**"', True),
        ('"https://fonts.googleapis.com/**"', False),
        ('"**/analytics.example.com/**"', False),
        ('"**://*.doubleclick.net/**"', False),
        ('re.compile(r"^https://(www\\.)?googletagmanager\\.com/")', False),
        ("THIRD_PARTY", False),
    ],
)
def test_route_patterns_that_can_match_the_target(tmp_path: Path, pattern: str, flagged: bool) -> None:
    plant(tmp_path, {
        "conftest.py": f"""
            import os, re
            BASE_URL = "https://staging.acme.io"
            PATTERN = "https://staging.acme.io/api/**"
            THIRD_PARTY = "https://cdn.jsdelivr.net/**"

            def fixture(page, settings, base_url):
                page.route({pattern}, lambda route: route.abort())
            """,
    })  # fmt: skip
    findings = audit_tree(tmp_path)
    assert [(f.line, f.kind) for f in findings] == ([(7, ROUTE)] if flagged else [])
    assert all(f.what.startswith("route aborts ") for f in findings)


@pytest.mark.parametrize(
    ("handler", "what"),
    [
        ("lambda r: r.fulfill(status=200, body='[]')", "route stub fulfils '**/*'"),
        ("lambda r: r.abort('blockedbyclient')", "route aborts '**/*'"),
        ("lambda r: r.continue_(post_data='{}')", "route rewrites requests to '**/*'"),
        ("lambda r: r.fallback(url='http://other/')", "route rewrites requests to '**/*'"),
        ("functools.partial(answer, body='{}')", "route stub fulfils '**/*'"),
        ("handler_from_elsewhere", "route on '**/*' with a handler the audit cannot follow"),
        ("lambda r: r.continue_()", None),
        ("lambda r: (log.append(r.request.url), r.fallback())", None),
    ],
)
def test_route_handlers_whatever_they_do(tmp_path: Path, handler: str, what: str | None) -> None:
    plant(tmp_path, {
        "e2e/conftest.py": f"""
            import functools

            def answer(route, body):
                route.fulfill(body=body)

            def fixture(context, log, handler_from_elsewhere):
                context.route("**/*", {handler})
            """,
    })  # fmt: skip
    assert whats(audit_tree(tmp_path)) == ([("conftest.py", 7, what)] if what else [])


def test_named_route_handler_answering_auth_is_found(tmp_path: Path) -> None:
    plant(
        tmp_path,
        {
            "e2e/test_roles.py": """
            def fake(route):
                if "permissions" in route.request.url:
                    route.fulfill(status=200, body="[]")
                else:
                    route.continue_()

            def test_admin_page(context):
                context.route("**/*", fake)
                context.unroute("**/*", fake)
            """
        },
    )
    assert whats(audit_tree(tmp_path)) == [("test_roles.py", 8, "route stub fulfils '**/*'")]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ('password = "hunter2!"', "hard-coded credential in `password`"),
        ('ADMIN_TOKEN: str = "tok-123"', "hard-coded credential in `ADMIN_TOKEN`"),
        ('self.apiKey = "k-1"', "hard-coded credential in `apiKey`"),
        ('sign_in(page, "a@b.c", password="hunter2!")', "hard-coded credential in `password`"),
        ('creds = {"passwd": "hunter2!"}', "hard-coded credential in `passwd`"),
        ('key = SecretStr("hunter2!")', "SecretStr built from a literal"),
        ('page.get_by_label("Password").fill("hunter2!")', "literal password typed into a password field"),
        ('page.fill("input[name=password]", "hunter2!")', "literal password typed into a password field"),
        ('login_as(page, "qa@acme.test", "hunter2!")', "literal password argument of login_as()"),
        ('headers = {"Authorization": "Basic cWE6aHVudGVyMg=="}',  # pragma: allowlist secret
         "literal Authorization header value"),
        ('url = "postgres://qa:hunter2!@db:5432/shop"', "literal password in a URL (user:password@host)"),
        ('secret = os.getenv("E2E_CLIENT_SECRET", "hunter2!")', "literal fallback for $E2E_CLIENT_SECRET"),
        ('gh = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"', "literal GitHub token"),
    ],
)  # fmt: skip
def test_hard_coded_credentials_in_flows_are_found(tmp_path: Path, line: str, what: str) -> None:
    plant(tmp_path, CLEAN)
    header = "def go(self, page, sign_in, SecretStr, login_as, os):"
    plant(tmp_path, {"flows/admin.py": f"{header}\n    {line}\n"})
    assert whats(audit_tree(tmp_path)) == [("admin.py", 2, what)]


@pytest.mark.parametrize(
    "line",
    [
        'password = settings.user_password.get_secret_value()',
        'password = os.environ["E2E_PASSWORD"]',
        'page.get_by_label("Password").fill(user.password)',
        'page.get_by_label("Email").fill("qa@acme.test")',
        'sign_in(page, user.email, "{password}")',
        'headers = {"Authorization": f"Bearer {token}"}',
        'url = f"https://{user}:{password}@{host}/"',
        'reset_path = "/account/password"',
        'secret = os.getenv("E2E_CLIENT_SECRET")',
    ],
)
def test_values_from_the_environment_settings_or_fixtures_are_not_findings(
    tmp_path: Path, line: str
) -> None:
    header = "def go(page, settings, os, user, token, host, sign_in):"
    plant(tmp_path, {"e2e/check.py": f"{header}\n    {line}\n"})
    assert audit_tree(tmp_path) == []


def test_a_literal_is_reported_where_it_is_written_not_where_it_goes(tmp_path: Path) -> None:
    plant(tmp_path, {
        "flows/auth.py": """
            def sign_in(page, email, secret_word):
                page.get_by_label("Email").fill(email)
            """,
        "e2e/test_x.py": """
            from flows.auth import sign_in

            def test_x(page):
                phrase = "correct horse battery staple"
                sign_in(page, "qa@acme.test", phrase)
            """,
    })  # fmt: skip
    assert whats(audit_tree(tmp_path)) == [
        ("test_x.py", 4, "literal `secret_word` argument of sign_in() (passed at line 5)")
    ]


def test_credential_in_a_target_profile_is_found(tmp_path: Path) -> None:
    plant(tmp_path, CLEAN)
    plant(
        tmp_path,
        {
            "targets/staging.toml": """
            [admin]
            base = "/api/admin"
            token = "stg-admin-9f8e"  # pragma: allowlist secret
            hooks = { hook_token = 'abc', password = "" }
            """
        },
    )
    assert whats(audit_tree(tmp_path)) == [
        ("staging.toml", 3, "hard-coded credential `token`"),
        ("staging.toml", 4, "hard-coded credential `hook_token`"),
    ]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ('monkeypatch.setattr("app.auth.verify_password", ok)', "auth code patched"),
        ('monkeypatch.setattr(oracle, "BackendSession", Fake)', "auth code patched"),
        ('mock.patch("harness.oracle.session_of", fake)', "auth code patched"),
        ('patch.object(app, "check_csrf", ok)', "auth code patched"),
        ('monkeypatch.setattr(pyotp.TOTP, "now", frozen)', "pyotp patched"),
        ('mocker.patch("time.time", return_value=0)', "code outside the suite patched"),
        ('mocker.patch.dict("os.environ", {"TZ": "UTC"})', "code outside the suite patched"),
        ('monkeypatch.setattr(settings, "base_url", "http://x")', "code outside the suite patched"),
        ('mocker.patch("httpx.Client.send")', "HTTP client patched"),
        ('mocker.patch("e2e.conftest.requests.post")', "HTTP client patched"),  # followed
    ],
)
def test_patched_code_outside_the_suite_is_found(tmp_path: Path, line: str, what: str) -> None:
    plant(tmp_path, {"e2e/conftest.py": "import requests\n\n"
                     f"def fixture(monkeypatch, mock, patch, mocker, settings):\n    {line}\n"})
    [finding] = audit_tree(tmp_path)
    assert (finding.line, finding.kind, finding.what.split(" (")[0]) == (4, PATCH, what)


@pytest.mark.parametrize(
    "line",
    [
        'mocker.patch("e2e.helpers.pause")',  # the suite's own helper
        'mocker.patch.object(LoginPage, "open")',
        'monkeypatch.setattr(helpers, "pause", lambda: None)',
        'monkeypatch.setenv("TZ", "UTC")',
        'api.patch("/api/users/1", data={"role": "admin"})',  # an HTTP PATCH, not a mock
    ],
)
def test_patching_the_suites_own_code_is_not_a_finding(tmp_path: Path, line: str) -> None:
    plant(tmp_path, {
        "e2e/helpers.py": "def pause():\n    pass\n",
        "pages/login.py": "class LoginPage:\n    def open(self):\n        pass\n",
        "e2e/conftest.py": "from e2e import helpers\nfrom pages.login import LoginPage\n\n"
                           f"def fixture(monkeypatch, mocker, api):\n    {line}\n",
    })  # fmt: skip
    assert audit_tree(tmp_path) == []


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("import responses", "HTTP mocking library `responses` imported"),
        ("from requests_mock import Mocker", "HTTP mocking library `requests-mock` imported"),
        ("import httpretty", "HTTP mocking library `httpretty` imported"),
        ("from aioresponses import aioresponses", "HTTP mocking library `aioresponses` imported"),
        ("import pook", "HTTP mocking library `pook` imported"),
        ("from betamax import Betamax", "HTTP mocking library `betamax` imported"),
        ("def test_x(httpx_mock): pass", "`httpx_mock` fixture answers HTTP requests"),
        ('pytestmark = pytest.mark.usefixtures("requests_mock")',
         "`requests_mock` fixture answers HTTP requests"),
        ('pytest_plugins = ["pytest_httpserver"]', "HTTP mocking plugin `pytest-httpserver` loaded"),
        ("pytestmark = pytest.mark.default_cassette('x.yaml')",
         "`@pytest.mark.default_cassette` replays recorded HTTP"),
    ],
)  # fmt: skip
def test_http_mocking_libraries_are_found(tmp_path: Path, line: str, what: str) -> None:
    plant(tmp_path, {"e2e/test_x.py": f"import pytest\n{line}\n"})
    assert whats(audit_tree(tmp_path)) == [("test_x.py", 2, what)]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ('context.add_cookies(cookies)', "cookies added to the browser"),
        ('browser.new_context(storage_state=state)', "storage state loaded"),
        ('browser.new_context(storage_state="state.json")', "storage state loaded from state.json"),
        ('page.set_extra_http_headers({"Cookie": cookie})', "browser sends a Cookie header"),
        ('browser.new_context(extra_http_headers={"Authorization": token})',
         "browser sends an Authorization header"),
        ('page.evaluate("t => localStorage.setItem(\'access_token\', t)", token)',
         "script writes a token into web storage"),
        ('page.evaluate("([k, v]) => localStorage.setItem(k, v)", ["jwt", token])',
         "script writes a token into web storage"),
        ('page.add_init_script(script="sessionStorage[\'session\'] = \'1\'")',
         "script writes a token into web storage"),
        ('page.evaluate("document.cookie = \'sid=\' + 1")', "script writes document.cookie"),
    ],
)  # fmt: skip
def test_auth_state_planted_instead_of_earned_is_found(tmp_path: Path, line: str, what: str) -> None:
    header = "def fixture(page, browser, context, cookies, state, token, cookie):"
    plant(tmp_path, {"e2e/conftest.py": f"{header}\n    {line}\n"})
    [finding] = audit_tree(tmp_path)
    assert (finding.line, finding.kind) == (2, AUTH_STATE)
    assert finding.what.startswith(what), finding.what


@pytest.mark.parametrize(
    "line",
    [
        'context.storage_state(path="failed-test-state.json")',  # saved for the artifacts
        'browser.new_context(storage_state=None)',
        'page.evaluate("() => Object.keys(localStorage)")',
        'page.evaluate("() => document.cookie")',
        'page.evaluate("k => localStorage.setItem(k, \'dark\')", "theme")',
        'page.set_extra_http_headers({"Accept-Language": "de"})',
    ],
)
def test_reading_or_saving_auth_state_is_not_planting_it(tmp_path: Path, line: str) -> None:
    plant(tmp_path, {"e2e/conftest.py": f"def fixture(page, browser, context):\n    {line}\n"})
    assert audit_tree(tmp_path) == []


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("# audit: allow", ""),
        ("# audit: allow   ", ""),
        ("# audit: allow ()", ""),
        ("#audit: allow --", ""),
        ("# noqa: E501  # audit: allow", ""),
        ("# audit: allow (throwaway test value)", "throwaway test value"),
        ("# audit: allow — the refusal is what is checked", "the refusal is what is checked"),
        ("# a comment", None),
    ],
)
def test_allow_reasons(comment: str, reason: str | None) -> None:
    assert allow_reason(comment) == reason


def test_a_bare_allow_is_a_finding_and_suppresses_nothing(tmp_path: Path) -> None:
    plant(tmp_path, {
        "e2e/conftest.py": """
            def fixture(page):
                page.route("**/api/me", lambda r: r.fulfill(json={}))  # audit: allow
                page.route("**/api/you", lambda r: r.fulfill(json={}))  # audit: allow not ours to test
                x = 1  # audit: allow
            """,
    })  # fmt: skip
    assert {(f.line, f.kind) for f in audit_tree(tmp_path)} == {(2, ROUTE), (2, BARE_ALLOW), (4, BARE_ALLOW)}


def test_an_allow_on_any_line_of_a_multi_line_call_counts(tmp_path: Path) -> None:
    plant(tmp_path, {
        "e2e/conftest.py": """
            def fixture(page):
                page.route(
                    "**/api/me",
                    lambda r: r.fulfill(json={}),
                )  # audit: allow the profile service is out of scope here
            """,
    })  # fmt: skip
    assert audit_tree(tmp_path) == []


def test_a_committed_storage_state_file_is_found(tmp_path: Path) -> None:
    state = {"cookies": [{"name": "sid", "value": "abc", "domain": "x"}], "origins": []}
    empty: dict[str, list[object]] = {"cookies": [], "origins": []}
    plant(tmp_path, {"auth/admin.json": json.dumps(state, indent=2),
                     "auth/empty.json": json.dumps(empty, indent=2)})  # fmt: skip
    assert whats(audit_tree(tmp_path)) == [
        ("admin.json", 2, "committed storage state holds a signed-in session")
    ]


# ---------------------------------------------------------------- what is audited


STUB = 'page.route("**/login", lambda r: r.fulfill(status=302))\npassword = "hunter2!"\n'


def test_what_the_repository_excludes_and_environments_are_skipped(tmp_path: Path) -> None:
    """No folder name of authprobe's decides: the repository's own `exclude`, pytest's
    `norecursedirs` defaults, and virtualenvs told by their pyvenv.cfg, whatever their name."""
    plant(tmp_path, {"pyproject.toml": '[tool.authprobe.audit]\nexclude = ["tests", "tools/*"]\n',
                     "envs/py311/pyvenv.cfg": "home = /usr/bin\n",
                     "e2e/test_ok.py": "def test_ok(page):\n    page.goto('/')\n"})  # fmt: skip
    for folder in ("tests", "e2e/tests", "tools/bench", ".venv/lib", "envs/py311/lib", "build"):
        plant(tmp_path, {f"{folder}/conftest.py": STUB, f"{folder}/test_x.py": STUB})
    names = {p.relative_to(tmp_path).as_posix() for p in suite_files(tmp_path)}
    assert names == {"e2e/test_ok.py", "pyproject.toml"}
    assert audit_tree(tmp_path) == []


def test_a_team_repository_with_its_own_e2e_package_is_audited_as_theirs(tmp_path: Path) -> None:
    """An `e2e/` package is the most common layout of a Playwright suite; its helpers live
    wherever the team keeps them (here support/), and the audit follows the imports there."""
    plant(tmp_path, {
        "e2e/__init__.py": "",
        "e2e/conftest.py": """
            import pytest
            from support.session import signed_in

            @pytest.fixture
            def admin_page(context):
                return signed_in(context)
            """,
        "e2e/test_login.py": """
            from support.pages.login import LoginPage

            def test_login(page):
                LoginPage(page).sign_in("qa@shop.test")
            """,
        "support/__init__.py": "",
        "support/session.py": """
            def signed_in(context):
                context.add_cookies([{"name": "sid", "value": "x", "url": "https://shop.test"}])
                return context.new_page()
            """,
        "support/pages/__init__.py": "",
        "support/pages/login.py": """
            class LoginPage:
                def __init__(self, page):
                    self.page = page

                def sign_in(self, email):
                    self.page.get_by_label("Email").fill(email)
                    self.page.get_by_label("Password").fill("Winter-is-c0ming")
            """,
        "support/pages/admin.py": "ADMIN_TOKEN = 'adm-7c1e9a0b52d3'\n",  # same package, not imported
    })  # fmt: skip
    assert found(tmp_path) == {
        ("support/session.py", 2, AUTH_STATE),
        ("support/pages/login.py", 7, CREDENTIAL),
        ("support/pages/admin.py", 1, CREDENTIAL),
    }


def test_a_team_suite_in_tests_is_audited_though_the_repository_has_an_e2e_folder(
    tmp_path: Path,
) -> None:
    """pytest's testpaths say where the suite is; the app beside it is not the suite, its
    target profile is found by what it holds."""
    plant(tmp_path, {
        "pytest.ini": """
            [pytest]
            testpaths = tests
            base_url = https://staging.shop.test
            """,
        "e2e/docker-compose.yml": "services: {}\n",
        "tests/conftest.py": """
            def logged_in(page):
                page.route("**/api/session", lambda r: r.fulfill(json={"ok": True}))
            """,
        "tests/test_login.py": """
            def test_login(page):
                page.get_by_label("Password").fill("hunter2!")
            """,
        "app/settings.py": 'SECRET_KEY = "dev-only-9f8e7d6c"\n',  # pragma: allowlist secret
        "profiles/staging.toml": """
            name = "staging"
            [paths]
            login = "/login"
            [admin_api]
            token = "stg-admin-9f8e"  # pragma: allowlist secret
            """,
    })  # fmt: skip
    assert found(tmp_path) == {
        ("tests/conftest.py", 2, ROUTE),
        ("tests/test_login.py", 2, CREDENTIAL),
        ("profiles/staging.toml", 5, CREDENTIAL),
    }


def test_modules_the_suite_imports_or_loads_are_audited_wherever_they_live(tmp_path: Path) -> None:
    plant(tmp_path, {
        "pyproject.toml": """
            [tool.pytest.ini_options]
            testpaths = ["checks/ui"]
            pythonpath = ["lib"]
            """,
        "checks/ui/conftest.py": 'pytest_plugins = ["fixtures.browser"]\n',
        "checks/ui/test_x.py": """
            import helpers
            from ..common import pause

            def test_x(page):
                helpers.go(page)
            """,
        "checks/__init__.py": "",
        "checks/ui/__init__.py": "",
        "checks/common.py": "def pause(mocker):\n    mocker.patch('time.sleep')\n",
        "lib/helpers.py": "def go(page):\n    page.route('**/*', lambda r: r.abort())\n",
        "fixtures/browser.py": "def state(browser):\n"
                               "    return browser.new_context(storage_state='s.json')\n",
        "tools/seed.py": 'ADMIN_PASSWORD = "not-the-suite"\n',  # pragma: allowlist secret (unimported)
    })  # fmt: skip
    assert found(tmp_path) == {
        ("checks/common.py", 2, PATCH),
        ("lib/helpers.py", 2, ROUTE),
        ("fixtures/browser.py", 2, AUTH_STATE),
    }


def test_what_the_repository_includes_is_audited_whole(tmp_path: Path) -> None:
    plant(tmp_path, {
        "pytest.ini": "[pytest]\ntestpaths = tests\n",
        "pyproject.toml": '[tool.authprobe.audit]\ninclude = ["config/staging.toml", "scripts"]\n',
        "tests/test_x.py": "def test_x(page):\n    page.goto('/')\n",
        "config/staging.toml": '[admin]\ntoken = "stg-admin-9f8e"\n',
        "config/other.toml": '[admin]\ntoken = "not-included"\n',
        "scripts/seed_users.py": "def seed(context):\n    context.add_cookies([])\n",
    })  # fmt: skip
    assert found(tmp_path) == {
        ("config/staging.toml", 2, CREDENTIAL),
        ("scripts/seed_users.py", 2, AUTH_STATE),
    }


def test_sarif_locations_are_uri_references(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stub = "def test_x(page):\n    page.route('**/*', lambda r: r.abort())\n"
    plant(tmp_path, {"ui checks/test_x.py": stub})
    assert audit_command(str(tmp_path), output="sarif") == 1
    [result] = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "ui%20checks/test_x.py", "uriBaseId": "SRCROOT"}
    assert location["region"] == {"startLine": 2}


def test_an_audit_setting_of_the_wrong_type_is_one_sentence(tmp_path: Path) -> None:
    plant(tmp_path, {"pyproject.toml": "[tool.authprobe.audit]\nexclude = 3\n"})
    with pytest.raises(ConfigError, match=r"\[tool.authprobe.audit\] `exclude` must be a list"):
        audit_tree(tmp_path)


def test_profiles_are_told_by_the_sections_of_the_profile_model() -> None:
    assert set(TargetProfile.model_fields) - {"name", "description"} == PROFILE_SECTIONS


def test_a_team_suite_without_e2e_is_audited_whole(tmp_path: Path) -> None:
    stub = 'page.route("**/login", lambda r: r.fulfill(status=302))\n'
    for folder in ("tests", "ui_checks/flows", "venv/lib", "node_modules/x", ".git/hooks"):
        plant(tmp_path, {f"{folder}/test_x.py": stub})
    assert sorted(Path(f.path).relative_to(tmp_path).as_posix() for f in audit_tree(tmp_path)) == [
        "tests/test_x.py",
        "ui_checks/flows/test_x.py",
    ]


def test_a_file_that_does_not_parse_is_a_finding(tmp_path: Path) -> None:
    plant(tmp_path, {"tests/test_x.py": "def broken(:\n"})
    [finding] = audit_tree(tmp_path)
    assert (finding.line, finding.what) == (1, "file does not parse")


def test_missing_root_exits_2(tmp_path: Path) -> None:
    assert audit_command(str(tmp_path / "nope")) == 2


@pytest.mark.parametrize(
    ("name", "is_credential"),
    [
        ("password", True),
        ("admin_password", True),
        ("E2E_ADMIN_TOKEN", True),
        ("api_key", True),
        ("clientSecret", True),
        ("password_label", False),
        ("reset_token_ttl", False),
        ("token_pattern", False),
        ("username", False),
        ("tokenizer", False),
        ("test_expired_reset_link_is_refused_and_password_unchanged", False),
    ],
)
def test_credential_names(name: str, is_credential: bool) -> None:
    assert is_credential_name(name) is is_credential


# ----------------------------------------------------- HTTP-mocking stubs, named at their line

STUBS = [
    ("import respx\n\n@respx.mock\ndef test_x():\n"
     "    respx.get('https://app.example/api/session').mock(return_value=None)\n",
     5, "`respx` stub answers GET 'https://app.example/api/session'"),
    ("def test_x(respx_mock):\n    respx_mock.route(host='app.example').respond(200)\n",
     2, "`respx` stub answers 'https://app.example/'"),
    ("import responses\n\n@responses.activate\ndef test_x():\n"
     "    responses.add(responses.POST, 'https://app.example/login', json={})\n",
     5, "`responses` stub answers POST 'https://app.example/login'"),
    ("import requests_mock\n\ndef test_x():\n    with requests_mock.Mocker() as m:\n"
     "        m.get('https://app.example/api/me', json={})\n",
     5, "`requests-mock` stub answers GET 'https://app.example/api/me'"),
    ("def test_x(requests_mock):\n    requests_mock.register_uri('GET', '/api/me', json={})\n",
     2, "`requests-mock` stub answers GET '/api/me'"),
    ("import httpretty\n\ndef test_x():\n"
     "    httpretty.register_uri(httpretty.GET, 'https://app.example/api/session')\n",
     4, "`httpretty` stub answers GET 'https://app.example/api/session'"),
    ("def test_x(httpx_mock):\n    httpx_mock.add_response(url='https://app.example/api/session')\n",
     2, "`pytest-httpx` stub answers 'https://app.example/api/session'"),
    ("def test_x(httpx_mock):\n    httpx_mock.add_response(json={'ok': True})\n",
     2, "`pytest-httpx` stub answers every request"),
    ("from aioresponses import aioresponses\n\nasync def test_x():\n    with aioresponses() as m:\n"
     "        m.post('https://app.example/api/token', payload={})\n",
     5, "`aioresponses` stub answers POST 'https://app.example/api/token'"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "line", "what"), STUBS)
def test_http_mock_stub_is_named_at_its_line_instead_of_the_import(
    tmp_path: Path, code: str, line: int, what: str
) -> None:
    plant(tmp_path, {"pytest.ini": "[pytest]\nbase_url = https://app.example\n", "e2e/test_x.py": code})
    assert whats(audit_tree(tmp_path)) == [("test_x.py", line, what)]


def test_http_mock_on_another_host_keeps_the_import_as_the_only_sign(tmp_path: Path) -> None:
    plant(tmp_path, {
        "pytest.ini": "[pytest]\nbase_url = https://app.example\n",
        "e2e/test_x.py": "import respx\n\n@respx.mock\ndef test_x():\n"
                         "    respx.post('https://hooks.slack.com/x').respond(200)\n",
    })  # fmt: skip
    assert whats(audit_tree(tmp_path)) == [("test_x.py", 1, "HTTP mocking library `respx` imported")]
