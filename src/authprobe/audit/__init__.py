"""Static audit of an end-to-end suite: what in it replaces the thing under test.

The principle: in an end-to-end suite, anything that answers, rewrites or short-circuits
the target's own traffic or auth state replaces the target, so the suite proves the
replacement works, not the target. The audit names, by file and line, with one
sentence why:

- `route-stub`: a Playwright route (`page.route`, `context.route`, `route_from_har`,
  `route_web_socket`) whose URL pattern can match the target's origin and whose handler
  answers, aborts or rewrites requests (a pure pass-through `route.continue_()` is not one;
  a pattern naming another literal host, e.g. a font CDN, is not one either);
- `http-mock`: HTTP-mocking libraries (respx, responses, requests-mock, httpretty,
  pytest-httpserver, vcrpy, aioresponses, pook, betamax, pytest-httpx): the stub call that
  answers a URL that can be the target's (`respx.get(url)`, `responses.add`, `m.get(...)`,
  `httpx_mock.add_response`), or, where the audit follows no such stub, the import, fixture or
  marker that makes one possible;
- `patch`: `mock.patch`, `patch.object`, `mocker.patch`, `monkeypatch.setattr` of anything
  outside the suite's own modules (followed through the suite's imports, so patching
  `flows.api.requests` is patching `requests`);
- `auth-state`: auth state planted instead of earned (cookies added, storage state loaded,
  Authorization/Cookie headers set on the browser, tokens written by script, a committed
  storage-state file);
- `credential`: credentials written into the suite, by the name that holds them or by where
  a literal goes (a password field's `fill()`, a sign-in call's password argument, an
  Authorization header, `user:pass@host`, an env lookup's fallback, a token's shape);
- `bare-allow`: `# audit: allow` without a reason.

A deliberate exception carries `# audit: allow <reason>` on its line, so it is visible
and judged in review. No message ever repeats a credential's value.

Which files are the suite is found from what they are (pytest's configuration, the modules
the tests import, profiles by their content), never from folder names: see `discovery`.

The modules, one concern each (layer L2, standing on L0 alone: `authprobe.errors`,
`authprobe.sarif`, the standard library):

    findings     the kinds, why each matters, the finding and its SARIF rule
    config       pytest's settings and `[tool.authprobe.audit]` of the audited folder
    discovery    which files are the suite
    suite        what the audit knows across files (own modules, signatures, target hosts)
    syntax       literals out of syntax trees and config lines
    credentials  credential names, values and token shapes
    visitor      one file's scopes and values, the base of the rule families
    network      routes on the target's origin, HTTP-mocking libraries
    stubs        the stub calls of HTTP-mocking libraries, at their line
    patches      patches of code outside the suite
    authstate    auth state planted instead of earned
    hardcoded    hard-coded credentials in Python
    python       the families joined into one visitor; `audit_python`
    configfiles  TOML, JSON and dotenv files
    allows       `# audit: allow <reason>`, and the last pass over a file's findings
    report       text and SARIF
    command      `authprobe audit`
"""

from __future__ import annotations

from authprobe.audit.allows import allow_reason
from authprobe.audit.command import audit_command, audit_files, audit_tree
from authprobe.audit.config import AuditConfig, read_config
from authprobe.audit.configfiles import audit_env, audit_json, audit_toml
from authprobe.audit.credentials import is_credential_name, is_credential_value, token_shape
from authprobe.audit.discovery import suite_files
from authprobe.audit.findings import (
    AUTH_STATE,
    BARE_ALLOW,
    CREDENTIAL,
    HTTP_MOCK,
    PATCH,
    ROUTE,
    RULES,
    UNPARSED,
    AuditFinding,
    Rule,
)
from authprobe.audit.python import audit_python
from authprobe.audit.report import format_findings, to_sarif

__all__ = [
    "AUTH_STATE",
    "BARE_ALLOW",
    "CREDENTIAL",
    "HTTP_MOCK",
    "PATCH",
    "ROUTE",
    "RULES",
    "UNPARSED",
    "AuditConfig",
    "AuditFinding",
    "Rule",
    "allow_reason",
    "audit_command",
    "audit_env",
    "audit_files",
    "audit_json",
    "audit_python",
    "audit_toml",
    "audit_tree",
    "format_findings",
    "is_credential_name",
    "is_credential_value",
    "read_config",
    "suite_files",
    "to_sarif",
    "token_shape",
]
