"""The suite audit on planted credentials and auth stubs, and on a clean tree."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from harness.audit import AuditFinding, audit_command, audit_tree, is_credential_name

pytestmark = pytest.mark.hygiene

CLEAN = {
    "e2e/conftest.py": """
        import pytest

        @pytest.fixture
        def static_assets(page):
            page.route("**/*.png", lambda route: route.fulfill(status=204))
            page.route("**/api/session", lambda route: route.continue_())
            yield page
        """,
    "flows/login.py": """
        from pydantic import SecretStr

        from harness.settings import Settings

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
        [policy]
        reset_token_ttl = "15m"
        password_label = "Password"
        [admin_api]
        create_user = { path = "/api/users", json = { password = "{password}" } }
        token = "${E2E_ADMIN_TOKEN}"
        """,
}


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip())
    return root


def whats(findings: list[AuditFinding]) -> list[tuple[str, int, str]]:
    return [(Path(f.path).name, f.line, f.what) for f in findings]


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
    assert "instead of the real backend" in out


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
    ],
)
def test_hard_coded_credentials_in_flows_are_found(tmp_path: Path, line: str, what: str) -> None:
    plant(tmp_path, CLEAN)
    plant(tmp_path, {"flows/admin.py": f"def go(self, page, sign_in, SecretStr):\n    {line}\n"})
    assert whats(audit_tree(tmp_path)) == [("admin.py", 2, what)]


def test_credential_in_a_target_profile_is_found(tmp_path: Path) -> None:
    plant(tmp_path, CLEAN)
    plant(
        tmp_path,
        {
            "targets/staging.toml": """
            [admin]
            base = "/api/admin"
            token = "stg-admin-9f8e"
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
    ],
)
def test_patched_auth_code_is_found(tmp_path: Path, line: str, what: str) -> None:
    plant(tmp_path, {"e2e/conftest.py": f"def fixture(monkeypatch, mock, patch):\n    {line}\n"})
    [finding] = audit_tree(tmp_path)
    assert (finding.line, finding.what.split(" (")[0]) == (2, what)


def test_tests_sandbox_bench_and_venv_are_skipped(tmp_path: Path) -> None:
    stub = 'page.route("**/login", lambda r: r.fulfill(status=302))\npassword = "hunter2!"\n'
    for folder in ("tests", "sandbox", "bench", ".venv/lib", "e2e/tests"):
        plant(tmp_path, {f"{folder}/conftest.py": stub, f"{folder}/test_x.py": stub})
    plant(tmp_path, {"docs/example.py": stub})
    assert audit_tree(tmp_path) == []


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
