"""The finding model: the kinds of finding, why each matters, and the SARIF rule of each.

Every message of the audit is one of these kinds plus one sentence why; the texts live here so
the text report, the SARIF log and the docs say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

ROUTE = "route-stub"
HTTP_MOCK = "http-mock"
PATCH = "patch"
AUTH_STATE = "auth-state"
CREDENTIAL = "credential"
BARE_ALLOW = "bare-allow"
UNPARSED = "unparsed"

WHY_CREDENTIAL = (
    "a credential in the suite lives on in git history and CI logs; "
    "read it from Settings (E2E_*) as SecretStr"
)
WHY_ROUTE = (
    "a route on the target's own origin answers, blocks or rewrites its traffic instead of the "
    "real backend, so a broken login, session or permission check still passes"
)
WHY_HTTP_MOCK = (
    "an HTTP-mocking library answers requests instead of the real backend, "
    "so the suite checks the mock, not the target; remove it, or say why: `# audit: allow <reason>`"
)
WHY_PATCH = (
    "patching code outside the suite replaces part of what the run should exercise, "
    "so the check tests the patch, not the target"
)
WHY_PYOTP = (
    "TOTP codes must come from the real clock through authprobe.oob.otp; "
    "a patched pyotp hides replay and clock-skew bugs"
)
WHY_AUTH_STATE = (
    "auth state planted instead of earned skips the sign-in the suite exists to prove, "
    "so a broken login or a forged session still passes"
)
WHY_BARE_ALLOW = (
    "an allow needs a reason: write `# audit: allow <why this is safe>` so a reviewer can judge it"
)
WHY_UNPARSED = "unaudited code may hide a stub"


@dataclass(frozen=True)
class Rule:
    """A kind of finding as SARIF names and explains it."""

    kind: str
    name: str
    short: str
    help: str


RULES: dict[str, Rule] = {
    rule.kind: rule
    for rule in (
        Rule(ROUTE, "TargetTrafficRouted", "A route answers, blocks or rewrites the target's traffic",
             "A Playwright route (page.route, context.route, route_from_har, route_web_socket) whose "
             "pattern can match the target's origin replaces the backend under test. Remove it, or "
             "narrow the pattern to a third-party host; a deliberate exception carries "
             "`# audit: allow <reason>`."),
        Rule(HTTP_MOCK, "HttpMockingLibrary", "An HTTP-mocking library answers requests",
             "respx, responses, requests-mock, httpretty, pytest-httpserver, vcrpy, aioresponses, "
             "pook, betamax or pytest-httpx answer HTTP in place of the target; an end-to-end suite "
             "talks to the real backend."),
        Rule(PATCH, "CodeOutsideSuitePatched", "Code outside the suite is patched",
             "mock.patch, patch.object, mocker.patch or monkeypatch.setattr of code outside the "
             "suite's own modules (the target, its clients, the clock, TOTP) tests the patch. "
             "Patch only the suite's own helpers, or explain with `# audit: allow <reason>`."),
        Rule(AUTH_STATE, "AuthStatePlanted", "Auth state is planted instead of earned",
             "Cookies added, a storage state loaded, Authorization/Cookie headers set on the browser "
             "or tokens written into web storage skip the sign-in; sign in through the UI (once per "
             "run if need be) so the login itself is checked."),
        Rule(CREDENTIAL, "CredentialInSuite", "A credential is written into the suite",
             "A password, token or key in the suite lives on in git history and CI logs. Read it "
             "from the environment (E2E_* settings, as SecretStr) or create a throwaway user."),
        Rule(BARE_ALLOW, "AllowWithoutReason", "`# audit: allow` without a reason",
             "An allow comment must say why the exception is safe: `# audit: allow <reason>`."),
        Rule(UNPARSED, "FileDoesNotParse", "A file of the suite does not parse",
             "The audit cannot read this file, so a stub or credential in it goes unseen."),
    )
}  # fmt: skip


@dataclass(frozen=True, order=True)
class AuditFinding:
    """One finding: where (file, line), what, why, and its kind; never a credential's value."""

    path: str
    line: int
    what: str
    why: str
    kind: str = CREDENTIAL

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} — {self.why} [{self.kind}]"

