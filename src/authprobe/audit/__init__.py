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
  pytest-httpserver, vcrpy, aioresponses, pook, betamax, pytest-httpx) imported, used as
  fixtures or markers;
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
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
import tokenize
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# authprobe's own layout (a root with an e2e/ folder): the suite lives in these folders and in
# conftest.py files; tests/, sandbox/ and bench/ are the tool's own tests and the target app.
SUITE_DIRS = ("e2e", "pages", "flows", "targets")
SKIP_DIRS = frozenset({".venv", "venv", "tests", "sandbox", "bench", ".git", "node_modules"})
# Any other root is a suite as a team lays it out: everything in it but these.
VENDOR_DIRS = frozenset({".venv", "venv", ".git", "node_modules", "__pycache__", "site-packages"})
_AUDITED_SUFFIXES = (".py", ".toml", ".json")

# ---------------------------------------------------------------- kinds and rules

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
    "so the suite checks the mock, not the target"
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
    path: str
    line: int
    what: str
    why: str
    kind: str = CREDENTIAL

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} — {self.why} [{self.kind}]"


# ---------------------------------------------------------------- credential words and shapes

_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential"}
)
# Names that hold *about* a credential rather than one: labels, patterns, lifetimes...
_DESCRIPTIVE_SUFFIXES = frozenset(
    {
        "label", "field", "input", "selector", "locator", "name", "pattern", "regex", "re",
        "url", "path", "param", "header", "kind", "type", "id", "testid", "length", "len",
        "min", "max", "ttl", "prefix", "env", "var", "placeholder", "text", "message", "msg",
        "button", "title", "hint", "error", "subject", "policy", "endpoint", "route", "link",
    }
)  # fmt: skip
_AUTH_WORDS = re.compile(r"session|auth|login|signin|permission|verify|csrf|otp", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|<[^<>]*>")
_PATH_OR_URL = re.compile(r"/[^\s]*|[A-Za-z][A-Za-z0-9+.-]*://[^\s@]*")
_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/\s:@]+):([^/\s@]+)@")
_USERINFO_PLACEHOLDERS = frozenset({"password", "pass", "pwd", "secret", "xxx", "***", "...", "…"})
_TOKEN_SHAPES = (
    ("JSON web token", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("GitHub token", re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("Slack token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("AWS access key", re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")),
    ("Stripe key", re.compile(r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("Google API key", re.compile(r"AIza[0-9A-Za-z_-]{35}")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
_PASSWORD_FIELD = re.compile(
    r"password|passwd|passphrase|passcode|pwd|secret|api.?key|token|\bpin\b", re.IGNORECASE
)
_AUTH_CALL = re.compile(  # functions, not classes: `sign_in(...)`, `login_as(...)`
    r"^(?:sign_?in|log_?in|login|signin|authenticate|sign_?up|signup|register|create_user"
    r"|basic_auth|http_auth)"
)
_USERISH = re.compile(r"email|user|login|account|name", re.IGNORECASE)
_AUTH_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token",
     "x-access-token", "x-csrf-token", "x-xsrf-token"}
)  # fmt: skip
_TOKENISH = re.compile(
    r"token|auth|session|jwt|bearer|access|refresh|\bsid\b|credential|user|login|identity|api.?key",
    re.IGNORECASE,
)
_JS_COOKIE_WRITE = re.compile(r"document\s*\.\s*cookie\s*=(?!=)")
_JS_STORAGE_WRITE = re.compile(
    r"(?:local|session)Storage\s*(?:"
    r"\.\s*setItem\s*\(\s*(?:['\"`](?P<key>[^'\"`]*)['\"`]|(?P<var>[\w.$\[\]]+))"
    r"|\[\s*(?:['\"`](?P<key2>[^'\"`]*)['\"`]|(?P<var2>[\w.$]+))\s*\]\s*=(?!=)"
    r"|\.\s*(?P<key3>(?!setItem\b|getItem\b|removeItem\b|clear\b|key\b|length\b)\w+)\s*=(?!=))"
)
_ALLOW = re.compile(r"audit:\s*allow\b(.*)", re.IGNORECASE)
_TOML_ASSIGN = re.compile(r"""(?:^|[{,])\s*["']?([A-Za-z0-9_.-]+)["']?\s*=\s*(["'])(.*?)\2""")
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
_BASE_NAME = re.compile(r"base_?url|origin|(?:app|api|target|site|frontend)_?url", re.I)
_HOSTNAME = re.compile(
    r"(?:\*\.)?(?:[a-z0-9-]+\.)+[a-z]{2,}|localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]", re.I
)
_LOCAL_HOST = re.compile(
    r"localhost|127(?:\.\d+){3}|0\.0\.0\.0|\[::1?\]|host\.docker\.internal"
    r"|.*\.(?:localhost|local|test|internal|lan|example)", re.I,
)
# a regex's literal host after the scheme, past an optional group such as `(www\.)?`
_REGEX_HOST = re.compile(r"://(?:\((?:\?:)?[^()]*\)\?)?((?:[A-Za-z0-9-]+\\?\.)+[A-Za-z]{2,})(?:[/:$)]|\\/)")
_INI_BASE_URL = re.compile(r"base[_-]url\s*[=\s]\s*['\"]?([^\s'\"]+)", re.I)
_SENTINEL = "\x00"  # a runtime part of a string the audit cannot know

_MOCK_LIBS = {
    "respx": "respx", "responses": "responses", "requests_mock": "requests-mock",
    "httpretty": "httpretty", "pytest_httpserver": "pytest-httpserver", "vcr": "vcrpy",
    "aioresponses": "aioresponses", "pook": "pook", "betamax": "betamax",
    "pytest_httpx": "pytest-httpx", "httmock": "httmock", "mocket": "mocket",
    "pytest_recording": "pytest-recording",
}  # fmt: skip
_MOCK_FIXTURES = frozenset(
    {"requests_mock", "httpserver", "httpserver_ipv4", "make_httpserver", "httpx_mock",
     "respx_mock", "aioresponses", "vcr", "vcr_cassette", "betamax_session",
     "betamax_recorder", "betamax_parametrized_session"}
)  # fmt: skip
_MOCK_MARKS = frozenset({"vcr", "default_cassette"})
_HTTP_CLIENTS = frozenset({"requests", "httpx", "aiohttp", "urllib3", "urllib", "http", "playwright"})
_ROUTE_CALLS = frozenset({"route", "route_from_har", "route_web_socket"})
_JS_CALLS = frozenset({"evaluate", "evaluate_handle", "add_init_script"})
_FILL_CALLS = frozenset({"fill", "type", "press_sequentially"})


def is_credential_name(name: str) -> bool:
    """`admin_password`, `apiKey`, `TOKEN` yes; `password_label`, `token_ttl` no.

    A `test_…` name is a check (a profile's `unsupported` or `accepted_risks` key), not a value.
    """
    if name.startswith("test_"):
        return False
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().replace("api_key", "apikey")
    parts = [p for p in re.split(r"[^a-z0-9]+", words) if p]
    if not parts or parts[-1] in _DESCRIPTIVE_SUFFIXES:
        return False
    return any(part in _CREDENTIAL_WORDS or part.rstrip("s") in _CREDENTIAL_WORDS for part in parts)


def is_credential_value(value: str) -> bool:
    """Non-empty and not a template placeholder such as `{password}`, `${TOKEN}` or `<token>`."""
    return value != "" and not _PLACEHOLDER.fullmatch(value)


def _secret_literal(value: str) -> bool:
    """A value a reviewer would call a credential: not a placeholder, a path or a plain URL."""
    return is_credential_value(value.strip()) and not _PATH_OR_URL.fullmatch(value.strip())


def token_shape(value: str) -> str | None:
    """The kind of well-known token `value` contains (a JWT, a GitHub token...), if any."""
    for label, shape in _TOKEN_SHAPES:
        if shape.search(value):
            return label
    return None


def _userinfo_password(text: str) -> bool:
    """`scheme://user:pass@host` with a literal password (not `{pw}`, not a runtime part)."""
    for match in _USERINFO.finditer(text):
        secret = match.group(2)
        if (
            _SENTINEL not in secret
            and _SENTINEL not in match.group(1)
            and is_credential_value(secret)
            and secret.lower() not in _USERINFO_PLACEHOLDERS
            and not set(secret) <= {"*", "x", "X", "."}
        ):
            return True
    return False


def allow_reason(comment: str) -> str | None:
    """The reason of an `audit: allow` comment ('' for a bare allow); None if it is not one."""
    match = _ALLOW.search(comment)
    if match is None:
        return None
    reason = match.group(1).strip(" \t:-—–()[]#.,;")
    return reason if re.search(r"[A-Za-z]{2,}", reason) else ""


# ---------------------------------------------------------------- the suite as a whole


@dataclass
class _Module:
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    defined: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Signature:
    params: tuple[str, ...]
    method: bool


def _module_names(root: Path, path: Path) -> list[str]:
    """Names the file imports as: from the audit root, and from its import base (pytest's
    rootdir-insertion puts the first folder without `__init__.py` on sys.path)."""
    names = []
    for base in (root, _import_base(path)):
        try:
            parts = list(path.relative_to(base).with_suffix("").parts)
        except ValueError:
            continue
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts:
            names.append(".".join(parts))
    return list(dict.fromkeys(names))


def _import_base(path: Path) -> Path:
    folder = path.parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder


class _Suite:
    """What the audit knows across files: own modules, their imports, signatures, target hosts."""

    def __init__(self, root: Path, files: list[Path]) -> None:
        self.root = root
        self.trees: dict[Path, ast.Module] = {}
        self.errors: dict[Path, int] = {}
        self.own: set[str] = set()
        self.modules: dict[str, _Module] = {}
        self.signatures: dict[str, list[_Signature]] = {}
        self.target_hosts: set[str] = set()
        for path in files:
            if path.suffix == ".py":
                self._index(path)
            else:
                self._hosts_from_config(path)
        for name in ("pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml"):
            config = root / name
            if config.is_file():
                for match in _INI_BASE_URL.finditer(config.read_text(errors="replace")):
                    self.target_hosts |= _hosts(match.group(1))

    def _index(self, path: Path) -> None:
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError) as exc:
            self.errors[path] = getattr(exc, "lineno", 0) or 0
            return
        self.trees[path] = tree
        names = _module_names(self.root, path)
        module = _Module()
        for name in names:
            self.own.add(name.split(".")[0])
            self.modules[name] = module
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    module.imports[local] = alias.name if alias.asname else local
            elif isinstance(node, ast.ImportFrom):
                origin = _absolute_from(node, names[0] if names else "", is_package)
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = f"{origin}.{alias.name}"
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in _target_names(target):
                        if _BASE_NAME.search(name):
                            self.target_hosts |= _hosts(_const_text(node.value))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.defined.add(node.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                fields = []
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._signature(item, method=not _is_static(item))
                        if item.name == "__init__":  # `Class(...)` takes what __init__ does
                            params = self._params_of(item)[1:]
                            self.signatures.setdefault(node.name, []).append(
                                _Signature(params, method=False))
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        fields.append(item.target.id)
                if fields:  # a dataclass or NamedTuple takes its fields
                    self.signatures.setdefault(node.name, []).append(
                        _Signature(tuple(fields), method=False))
            elif isinstance(node, ast.Module):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._signature(item, method=False)
            elif isinstance(node, ast.keyword) and node.arg and _BASE_NAME.search(node.arg):
                self.target_hosts |= _hosts(_const_text(node.value))
            elif isinstance(node, ast.Call) and _env_lookup(node):
                name = _const_text(node.args[0]) if node.args else ""
                if _BASE_NAME.search(name) and len(node.args) > 1:
                    self.target_hosts |= _hosts(_const_text(node.args[1]))

    def _signature(self, node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> None:
        self.signatures.setdefault(node.name, []).append(_Signature(self._params_of(node), method))

    @staticmethod
    def _params_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
        return tuple(a.arg for a in [*node.args.posonlyargs, *node.args.args])

    def _hosts_from_config(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        for line in text.splitlines():
            for key, value in _config_pairs(line, path):
                if _BASE_NAME.search(key):
                    self.target_hosts |= _hosts(value)

    def outside(self, dotted: str, depth: int = 0) -> str | None:
        """What `a.b.c` is outside the suite, following the suite's own imports (so
        `flows.api.requests.post` is `requests.post`); None for the suite's own code."""
        parts = dotted.split(".")
        if not parts[0]:
            return None  # an unresolved relative import: the suite's own
        if parts[0] not in self.own:
            return dotted
        for end in range(len(parts), 0, -1):
            module = self.modules.get(".".join(parts[:end]))
            if module is None:
                continue
            if end < len(parts) and depth < 8:
                origin = module.imports.get(parts[end])
                if origin is not None:
                    return self.outside(".".join([origin, *parts[end + 1 :]]), depth + 1)
            return None
        return None

    def is_target_host(self, host: str) -> bool:
        host = host.lower().split("@")[-1]
        host = re.sub(r":[\d*]+$", "", host)
        if _LOCAL_HOST.fullmatch(host):
            return True
        if host.startswith("*."):
            suffix = host[2:]
            return any(t == suffix or t.endswith("." + suffix) for t in self.target_hosts)
        return host in self.target_hosts


def _absolute_from(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*parts, *([node.module] if node.module else [])])


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d) in ("staticmethod", "classmethod") for d in node.decorator_list)


def _hosts(value: str) -> set[str]:
    found = set()
    for match in re.finditer(r"://(?:[^/\s@]*@)?([^/\s:'\"]+)", value):
        found.add(match.group(1).lower())
    return found


def _const_text(node: ast.AST | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def _config_pairs(line: str, path: Path) -> Iterator[tuple[str, str]]:
    if path.suffix == ".toml":
        for match in _TOML_ASSIGN.finditer(line):
            yield match.group(1).rsplit(".", 1)[-1], match.group(3)
    elif path.suffix == ".json":
        for match in _JSON_PAIR.finditer(line):
            yield _json_unescape(match.group(1)), _json_unescape(match.group(2))
    else:
        pair = _env_pair(line)
        if pair:
            yield pair


def _json_unescape(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, str) else raw


def _env_pair(line: str) -> tuple[str, str] | None:
    if line.lstrip().startswith("#"):
        return None
    match = _ENV_LINE.match(line)
    if match is None:
        return None
    value = match.group(2)
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        value = value[1:end] if end > 0 else value[1:]
    else:
        value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
    return match.group(1), value


def _header_secret(header: str, value: str) -> bool:
    """Whether an auth header's literal value carries a secret, not only a scheme, cookie
    names or template placeholders (`Bearer {token}`, `sid=${SID}`)."""
    value = _PLACEHOLDER.sub("", value).strip()
    if header.lower() == "cookie":
        return any(part.partition("=")[2].strip() for part in value.split(";"))
    return bool(re.sub(r"^(?:Bearer|Basic|Token|Digest|ApiKey)\b", "", value, flags=re.I).strip())


def _api_client(node: ast.Call) -> bool:
    """`playwright.request.new_context(...)`: an HTTP client like requests (its headers count
    only when literal), not a browser context."""
    func = node.func
    return isinstance(func, ast.Attribute) and ast.unparse(func.value).endswith("request")


def _env_lookup(node: ast.Call) -> bool:
    """`os.environ.get(...)`, `os.getenv(...)`, `environ.get(...)`."""
    func = ast.unparse(node.func)
    return func.endswith(("environ.get", "getenv", "environ.setdefault"))


def _target_names(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        if isinstance(node.slice.value, str):
            yield node.slice.value
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _target_names(element)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _short(node: ast.AST | None, limit: int = 70) -> str:
    if node is None:
        return "every request"
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- one Python file


@dataclass
class _Scope:
    params: set[str]
    assigned: dict[str, list[ast.expr | None]]


def _scope_of(node: ast.AST, params: Iterable[str]) -> _Scope:
    assigned: dict[str, list[ast.expr | None]] = {}
    body = node.body if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) else []
    walker: Iterable[ast.AST] = (
        [n for stmt in body for n in ast.walk(stmt)]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        else body
    )
    for child in walker:
        if isinstance(child, ast.Assign):
            for target in child.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(
                        child.value if len(child.targets) == 1 else None
                    )
                else:
                    for name in _target_names(target):
                        if isinstance(target, ast.Tuple | ast.List):
                            assigned.setdefault(name, []).append(None)
        elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
            assigned.setdefault(child.target.id, []).append(child.value)
        else:
            for bound in _rebound(child):
                for sub in ast.walk(bound):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        assigned.setdefault(sub.id, []).extend([None, None])
    return _Scope(set(params), assigned)


def _rebound(node: ast.AST) -> list[ast.AST]:
    """Targets a statement binds other than by a plain assignment (loops, with, :=, +=)."""
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return [node.target]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.NamedExpr | ast.AugAssign):
        return [node.target]
    return []


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.arg]:
    a = node.args
    return [*a.posonlyargs, *a.args, *a.kwonlyargs, *([a.vararg] if a.vararg else []),
            *([a.kwarg] if a.kwarg else [])]  # fmt: skip


class _PythonAudit(ast.NodeVisitor):
    def __init__(self, path: Path, shown: str, tree: ast.Module, suite: _Suite) -> None:
        self.path = path
        self.shown = shown
        self.suite = suite
        self.tree = tree
        self.findings: list[tuple[AuditFinding, int]] = []  # with the node's last line
        self.secrets: set[str] = set()
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, node)
        self.imports: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imports[local] = alias.name if alias.asname else local
            elif isinstance(node, ast.ImportFrom):
                names = _module_names(suite.root, path)
                origin = _absolute_from(node, names[0] if names else "", path.name == "__init__.py")
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{origin}.{alias.name}"
        self.defined = {
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        self.scopes: list[_Scope] = [_scope_of(tree, [])]

    # -- reporting

    def add(self, node: ast.AST, kind: str, what: str, why: str, secret: str | None = None) -> None:
        line = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", line) or line
        self.findings.append((AuditFinding(self.shown, line, what, why, kind), end))
        if secret:
            self.secrets.add(secret)

    def add_literal(self, literal: ast.Constant | ast.JoinedStr, what: str) -> None:
        self.add(literal, CREDENTIAL, what, WHY_CREDENTIAL, secret=_string(literal))

    # -- scopes and values

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        params = _params(node)
        for arg in params:
            if arg.arg in _MOCK_FIXTURES:
                self.add(arg, HTTP_MOCK, f"`{arg.arg}` fixture answers HTTP requests", WHY_HTTP_MOCK)
        positional = [*node.args.posonlyargs, *node.args.args]
        defaults = [*([None] * (len(positional) - len(node.args.defaults))), *node.args.defaults]
        pairs = [*zip(positional, defaults, strict=True),
                 *zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)]  # fmt: skip
        for arg, default in pairs:
            literal = self.literal(default, follow=False)
            if literal is not None and is_credential_name(arg.arg):
                self.add_literal(literal, f"literal default for `{arg.arg}`")
        self.scopes.append(_scope_of(node, (a.arg for a in params)))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(_Scope({a.arg for a in _params(node)}, {}))
        self.generic_visit(node)
        self.scopes.pop()

    def resolve(self, name: str) -> ast.expr | None:
        """The one expression `name` is bound to in the nearest scope that binds it."""
        for scope in reversed(self.scopes):
            if name in scope.params:
                return None
            if name in scope.assigned:
                values = scope.assigned[name]
                return values[0] if len(values) == 1 else None
        return None

    def literal(self, node: ast.AST | None, follow: bool = True) -> ast.Constant | ast.JoinedStr | None:
        """The string literal `node` is, or (following a name bound once) comes from."""
        for _ in range(4):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return node if _secret_literal(node.value) else None
            if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
                return node if _secret_literal(_string(node)) else None
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                text = self.text(node)  # "Basic " + "cWE6..." is one literal
                if _SENTINEL in text or not _secret_literal(text):
                    return None
                return ast.copy_location(ast.Constant(value=text), node)
            if not (follow and isinstance(node, ast.Name)):
                return None
            node = self.resolve(node.id)
        return None

    def text(self, node: ast.AST | None, depth: int = 0) -> str:
        """The string `node` builds, with a sentinel for every part known only at run time."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else _SENTINEL
                for v in node.values
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and depth < 6:
            return self.text(node.left, depth + 1) + self.text(node.right, depth + 1)
        if isinstance(node, ast.Name) and depth < 6:
            value = self.resolve(node.id)
            if value is not None:
                return self.text(value, depth + 1)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and depth < 6
        ):
            return re.sub(r"\{[^{}]*\}", _SENTINEL, self.text(node.func.value, depth + 1))
        return _SENTINEL

    # -- statements

    def credential(self, node: ast.AST, name: str, value: ast.AST | None) -> None:
        literal = self.literal(value, follow=False)
        if literal is not None and is_credential_name(name):
            self.add_literal(literal, f"hard-coded credential in `{name}`")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for name in _target_names(target):
                self.credential(node, name, node.value)
                if name == "pytest_plugins":
                    self.plugins(node.value)
            header = _const_text(target.slice) if isinstance(target, ast.Subscript) else ""
            literal = self.literal(node.value) if header.lower() in _AUTH_HEADERS else None
            if literal is not None and _header_secret(header, _string(literal)):
                self.add_literal(literal, f"literal {header} header value")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        for name in _target_names(node.target):
            self.credential(node, name, node.value)
        self.generic_visit(node)

    def plugins(self, value: ast.expr) -> None:
        for element in ast.walk(value):
            name = _const_text(element)
            if name and name.split(".")[0] in _MOCK_LIBS:
                lib = _MOCK_LIBS[name.split(".")[0]]
                self.add(element, HTTP_MOCK, f"HTTP mocking plugin `{lib}` loaded", WHY_HTTP_MOCK)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.mock_import(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.level and node.module:
            self.mock_import(node, node.module)

    def mock_import(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        if top in _MOCK_LIBS and top not in self.suite.own:
            self.add(node, HTTP_MOCK, f"HTTP mocking library `{_MOCK_LIBS[top]}` imported",
                     WHY_HTTP_MOCK)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in _MOCK_MARKS and ast.unparse(node.value).endswith("mark"):
            self.add(node, HTTP_MOCK, f"`@pytest.mark.{node.attr}` replays recorded HTTP",
                     WHY_HTTP_MOCK)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            shape = token_shape(node.value)
            if shape:
                self.add_literal(node, f"literal {shape}")
            elif _userinfo_password(node.value):
                self.add_literal(node, "literal password in a URL (user:password@host)")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if _userinfo_password(self.text(node)):
            self.add(node, CREDENTIAL, "literal password in a URL (user:password@host)",
                     WHY_CREDENTIAL)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            self.credential(value, key.value, value)
            if key.value.lower() in _AUTH_HEADERS:
                literal = self.literal(value)
                if literal is not None and _header_secret(key.value, _string(literal)):
                    self.add_literal(literal, f"literal {key.value} header value")
            elif key.value == "storage_state":
                self.storage_state(key, value)
            elif key.value == "extra_http_headers":
                self.browser_headers(key, value)
        self.generic_visit(node)

    # -- calls

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            self.credential(keyword.value, keyword.arg, keyword.value)
            if keyword.arg == "storage_state":
                self.storage_state(keyword.value, keyword.value)
            elif keyword.arg == "extra_http_headers" and not _api_client(node):
                self.browser_headers(keyword.value, keyword.value)
            elif keyword.arg == "cookies" and isinstance(keyword.value, ast.Dict):
                for value in keyword.value.values:
                    literal = self.literal(value)
                    if literal is not None:
                        self.add_literal(literal, "literal cookie value")
            elif (
                keyword.arg == "auth"
                and isinstance(keyword.value, ast.Tuple)
                and len(keyword.value.elts) == 2
            ):
                literal = self.literal(keyword.value.elts[1])
                if literal is not None:
                    self.add_literal(literal, "literal password in `auth=(user, password)`")
        if name == "SecretStr" and node.args:
            literal = self.literal(node.args[0], follow=False)
            if literal is not None:
                self.add_literal(literal, "SecretStr built from a literal")
        if isinstance(node.func, ast.Attribute) and name in _ROUTE_CALLS:
            self.route(node)
        elif name == "add_cookies":
            self.add(node, AUTH_STATE, "cookies added to the browser instead of earned by signing in",
                     WHY_AUTH_STATE)
        elif name == "set_extra_http_headers" and node.args:
            self.browser_headers(node, node.args[0])
        elif isinstance(node.func, ast.Attribute) and name in _JS_CALLS:
            self.script(node)
        elif name in _FILL_CALLS and isinstance(node.func, ast.Attribute):
            self.fill(node, node.func.value)
        elif name == "usefixtures":
            for arg in node.args:
                if _const_text(arg) in _MOCK_FIXTURES:
                    self.add(arg, HTTP_MOCK, f"`{_const_text(arg)}` fixture answers HTTP requests",
                             WHY_HTTP_MOCK)
        elif _env_lookup(node) and len(node.args) > 1:
            var = _const_text(node.args[0])
            literal = self.literal(node.args[1], follow=False)
            if literal is not None and is_credential_name(var):
                self.add_literal(literal, f"literal fallback for ${var}")
        patched = self.patch_target(node)
        if patched is not None:
            self.patch(node, *patched)
        self.password_argument(node, name)
        self.generic_visit(node)

    def route(self, node: ast.Call) -> None:
        """A route on anything that can be the target's origin, unless a pure pass-through."""
        method = _call_name(node)
        named = {k.arg: k.value for k in node.keywords}
        if method == "route_from_har":
            pattern = named.get("url")
            if not self.can_match_target(pattern):
                return
            self.add(node, ROUTE, f"HAR replay answers {_short(pattern)}", WHY_ROUTE)
            return
        pattern = node.args[0] if node.args else named.get("url")
        handler = node.args[1] if len(node.args) > 1 else named.get("handler")
        if pattern is None or handler is None or not self.can_match_target(pattern):
            return
        shown = _short(pattern)
        if method == "route_web_socket":
            self.add(node, ROUTE, f"WebSocket route answers {shown}", WHY_ROUTE)
            return
        effects = self.handler_effects(handler)
        if effects is not None and effects and effects <= {"continue"}:
            return  # watches and lets every request through unchanged
        if effects and "fulfill" in effects:
            what = f"route stub fulfils {shown}"
        elif effects and "abort" in effects:
            what = f"route aborts {shown}"
        elif effects and "rewrite" in effects:
            what = f"route rewrites requests to {shown}"
        else:
            what = f"route on {shown} with a handler the audit cannot follow"
        self.add(node, ROUTE, what, WHY_ROUTE)

    def can_match_target(self, pattern: ast.expr | None) -> bool:
        """False only for a pattern that names a literal host other than the target's."""
        if pattern is None or isinstance(pattern, ast.Lambda):
            return True
        if isinstance(pattern, ast.Name) and pattern.id in self.functions:
            return True  # a predicate
        if isinstance(pattern, ast.Call) and _call_name(pattern) == "compile" and pattern.args:
            return self.regex_can_match(self.text(pattern.args[0]))
        if isinstance(pattern, ast.Name):
            value = self.resolve(pattern.id)
            if isinstance(value, ast.Call) and _call_name(value) == "compile" and value.args:
                return self.regex_can_match(self.text(value.args[0]))
        return self.glob_can_match(self.text(pattern))

    def glob_can_match(self, text: str) -> bool:
        if "://" in text:
            host = text.split("://", 1)[1].split("/", 1)[0]
        elif text.startswith("**/"):
            rest = text[3:]
            host = rest.split("/", 1)[0] if "/" in rest else ""
        else:
            return True  # a relative path, the base URL at run time, or any glob
        if _SENTINEL in host or not _HOSTNAME.fullmatch(re.sub(r":[\d*]+$", "", host)):
            return True
        return self.suite.is_target_host(host)

    def regex_can_match(self, source: str) -> bool:
        match = _REGEX_HOST.search(source)
        if match is None or _SENTINEL in source[: match.end()]:
            return True
        return self.suite.is_target_host(match.group(1).replace("\\.", "."))

    def handler_effects(self, handler: ast.AST, depth: int = 0) -> set[str] | None:
        """What the handler does to the route: fulfill, abort, rewrite, continue; None if unseen."""
        body: ast.AST | None = None
        if isinstance(handler, ast.Lambda):
            body = handler.body
        elif isinstance(handler, ast.Name | ast.Attribute):
            body = self.functions.get(handler.id if isinstance(handler, ast.Name) else handler.attr)
        elif isinstance(handler, ast.Call) and _call_name(handler) == "partial" and handler.args:
            return self.handler_effects(handler.args[0], depth)
        if body is None:
            return None
        effects: set[str] = set()
        for node in ast.walk(body):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if name in ("fulfill", "abort"):
                effects.add(name)
            elif name in ("continue_", "fallback"):
                effects.add("rewrite" if node.args or node.keywords else "continue")
            elif (
                isinstance(node.func, ast.Name)
                and name in self.functions
                and self.functions[name] is not body
                and depth < 3
            ):
                effects |= self.handler_effects(node.func, depth + 1) or set()
        return effects

    def storage_state(self, at: ast.AST, value: ast.AST) -> None:
        if isinstance(value, ast.Constant) and value.value is None:
            return
        text = self.text(value)
        where = f" from {Path(text).name}" if _SENTINEL not in text and text else ""
        self.add(at, AUTH_STATE, f"storage state loaded{where} instead of signing in", WHY_AUTH_STATE)

    def browser_headers(self, at: ast.AST, value: ast.AST) -> None:
        if isinstance(value, ast.Name):
            value = self.resolve(value.id) or value
        if not isinstance(value, ast.Dict):
            return
        for key in value.keys:
            header = _const_text(key)
            if header.lower() in _AUTH_HEADERS:
                article = "an" if header[:1].lower() in "aeiou" else "a"
                self.add(at, AUTH_STATE, f"browser sends {article} {header} header it did not earn",
                         WHY_AUTH_STATE)
                return

    def script(self, node: ast.Call) -> None:
        """`page.evaluate`/`add_init_script` writing cookies or token-ish web storage."""
        named = {k.arg: k.value for k in node.keywords}
        source = node.args[0] if node.args else named.get("script") or named.get("expression")
        js = self.text(source) if source is not None else ""
        script_path = _const_text(named.get("path"))
        if script_path:
            for folder in (self.path.parent, self.suite.root):
                candidate = folder / script_path
                if candidate.is_file():
                    js = candidate.read_text(errors="replace")
                    break
        python_args = " ".join(
            _const_text(n) for a in [*node.args[1:], *named.values()] for n in ast.walk(a)
        )
        if _JS_COOKIE_WRITE.search(js):
            self.add(node, AUTH_STATE, "script writes document.cookie instead of signing in",
                     WHY_AUTH_STATE)
            return
        for match in _JS_STORAGE_WRITE.finditer(js):
            key = match.group("key") or match.group("key2") or match.group("key3")
            variable = match.group("var") or match.group("var2")
            if (key and _TOKENISH.search(key)) or (
                variable and (_TOKENISH.search(variable) or _TOKENISH.search(python_args))
            ):
                self.add(node, AUTH_STATE, "script writes a token into web storage instead of "
                         "signing in", WHY_AUTH_STATE)
                return

    def fill(self, node: ast.Call, owner: ast.expr) -> None:
        """A literal typed into a password-ish field: `locator.fill(x)` or `page.fill(sel, x)`."""
        named = {k.arg: k.value for k in node.keywords}
        described = ast.unparse(owner)
        if isinstance(owner, ast.Name):
            bound = self.resolve(owner.id)
            described += " " + (ast.unparse(bound) if bound is not None else "")
        if len(node.args) >= 2 or (node.args and "value" in named) or "selector" in named:
            selector = node.args[0] if node.args else named.get("selector")
            value = node.args[1] if len(node.args) > 1 else named.get("value") or named.get("text")
            described = self.text(selector) + " " + (ast.unparse(selector) if selector else "")
        else:
            value = node.args[0] if node.args else named.get("value") or named.get("text")
        literal = self.literal(value)
        if literal is not None and _PASSWORD_FIELD.search(described):
            self.add_literal(literal, "literal password typed into a password field"
                             + (f" (at line {node.lineno})" if literal.lineno != node.lineno else ""))

    def password_argument(self, node: ast.Call, name: str) -> None:
        """A literal passed where a sign-in-like function takes its password."""
        signatures = self.suite.signatures.get(name, [])
        seen: set[int] = set()
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                break
            literal = self.literal(arg)
            if literal is None or id(literal) in seen:
                continue
            at = f" (passed at line {node.lineno})" if literal.lineno != node.lineno else ""
            for signature in signatures:
                offset = 1 if signature.method and isinstance(node.func, ast.Attribute) else 0
                if index + offset < len(signature.params):
                    param = signature.params[index + offset]
                    if is_credential_name(param):
                        self.add_literal(literal, f"literal `{param}` argument of {name}(){at}")
                        seen.add(id(literal))
                        break
            if signatures or id(literal) in seen or index == 0 or not _AUTH_CALL.match(name):
                continue
            previous = node.args[index - 1]
            value = _string(literal)
            if ("@" not in value and not _PATH_OR_URL.fullmatch(value)) and (
                self.literal(previous) is not None or _USERISH.search(ast.unparse(previous))
            ):
                self.add_literal(literal, f"literal password argument of {name}(){at}")
                seen.add(id(literal))

    def patch_target(self, node: ast.Call) -> tuple[str, str | None] | None:
        """(what is patched as written, what it is outside the suite or None) for a mock patch.

        `patch(...)`, `mock.patch(...)`, `mocker.patch.object(...)`, `monkeypatch.setattr(...)`;
        an HTTP client's `.patch(url)` is not a mock: only mock-ish owners count.
        """
        func = node.func
        args = node.args
        if isinstance(func, ast.Name):
            origin = self.imports.get(func.id, "")
            if func.id != "patch" or (origin and "mock" not in origin) or func.id in self.defined:
                return None
            style = "patch"
        elif isinstance(func, ast.Attribute):
            owner = ast.unparse(func.value)
            if func.attr in ("setattr", "delattr") and owner != "builtins":
                style = "setattr"
            elif func.attr == "patch" and (
                owner.rsplit(".", 1)[-1] == "mock" or owner.endswith("mocker")
            ):
                style = "patch"
            elif func.attr in ("object", "dict", "multiple") and owner.endswith("patch"):
                style = func.attr
            else:
                return None
        else:
            return None
        if not args:
            return None
        first = args[0]
        dotted = self.text(first)
        dotted = "" if _SENTINEL in dotted else dotted
        if style == "patch" or (style == "setattr" and dotted and "." in dotted and len(args) <= 2):
            if not dotted:
                return ast.unparse(first), ast.unparse(first)
            return dotted, self.suite.outside(dotted)
        if dotted and style in ("dict", "multiple"):
            return dotted, self.suite.outside(dotted)
        attribute = _const_text(args[1]) if len(args) > 1 and style in ("setattr", "object") else ""
        shown = ast.unparse(first) + (f".{attribute}" if attribute else "")
        return shown, self.expr_outside(first, attribute)

    def expr_outside(self, node: ast.expr, attribute: str) -> str | None:
        """What a patched object is outside the suite: through this file's imports; an object
        the file neither imports nor defines (a fixture, a variable) counts as outside."""
        written = ast.unparse(node) + (f".{attribute}" if attribute else "")
        chain: list[str] = [attribute] if attribute else []
        while isinstance(node, ast.Attribute):
            chain.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return written
        if node.id in ("self", "cls"):
            return None
        if node.id in self.imports:
            return self.suite.outside(".".join([self.imports[node.id], *chain]))
        return None if node.id in self.defined else written

    def patch(self, node: ast.Call, written: str, outside: str | None) -> None:
        if outside is None:
            return
        target = written if outside == written else f"{written}, that is {outside}"
        top = outside.split(".")[0]
        if top == "pyotp":
            self.add(node, PATCH, f"pyotp patched ({target})", WHY_PYOTP)
        elif top in _HTTP_CLIENTS:
            self.add(node, PATCH, f"HTTP client patched ({target})", WHY_PATCH)
        elif _AUTH_WORDS.search(outside):
            self.add(node, PATCH, f"auth code patched ({target})", WHY_PATCH)
        else:
            self.add(node, PATCH, f"code outside the suite patched ({target})", WHY_PATCH)


def _string(node: ast.Constant | ast.JoinedStr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    return "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))


# ---------------------------------------------------------------- allow comments


def _python_comments(text: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return comments


def _line_comments(text: str) -> dict[int, str]:
    """`# ...` comments of TOML and .env lines: from the first `#` outside quotes."""
    comments = {}
    for number, line in enumerate(text.splitlines(), start=1):
        quote = ""
        for index, char in enumerate(line):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#":
                comments[number] = line[index:]
                break
    return comments


def _apply_allows(
    shown: str, findings: list[tuple[AuditFinding, int]], comments: dict[int, str]
) -> list[AuditFinding]:
    """Drop findings whose lines carry `# audit: allow <reason>`; a bare allow is a finding."""
    allowed: set[int] = set()
    kept: list[AuditFinding] = []
    for number, comment in comments.items():
        reason = allow_reason(comment)
        if reason:
            allowed.add(number)
        elif reason == "":
            kept.append(AuditFinding(shown, number, "`# audit: allow` without a reason",
                                     WHY_BARE_ALLOW, BARE_ALLOW))
    for finding, end in findings:
        if not allowed.intersection(range(finding.line, max(finding.line, end) + 1)):
            kept.append(finding)
    return kept


def _dedupe_and_scrub(findings: list[AuditFinding], secrets: set[str]) -> list[AuditFinding]:
    """One finding per (line, kind); no message repeats a credential's value."""
    seen: set[tuple[str, int, str]] = set()
    out = []
    for finding in findings:
        key = (finding.path, finding.line, finding.kind)
        if key in seen:
            continue
        seen.add(key)
        what = finding.what
        for secret in sorted(secrets, key=len, reverse=True):
            if len(secret) >= 3:
                what = what.replace(secret, "…")
        out.append(AuditFinding(finding.path, finding.line, what, finding.why, finding.kind))
    return out


# ---------------------------------------------------------------- files


def audit_python(path: Path, shown: str, suite: _Suite | None = None) -> list[AuditFinding]:
    suite = suite or _Suite(path.parent, [path])
    text = path.read_text(encoding="utf-8", errors="replace")
    tree = suite.trees.get(path)
    if tree is None:
        try:
            tree = ast.parse(path.read_bytes(), filename=shown)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", 0) or 0
            return [AuditFinding(shown, line, "file does not parse", WHY_UNPARSED, UNPARSED)]
    audit = _PythonAudit(path, shown, tree, suite)
    audit.visit(tree)
    kept = _apply_allows(shown, audit.findings, _python_comments(text))
    return _dedupe_and_scrub(kept, audit.secrets)


def audit_toml(path: Path, shown: str) -> list[AuditFinding]:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return [AuditFinding(shown, 0, "profile does not parse", "unaudited profile", UNPARSED)]
    return _audit_pairs(path, shown, text, _line_comments(text))


def audit_json(path: Path, shown: str) -> list[AuditFinding]:
    """Credential-named keys, token shapes, and a committed Playwright storage state."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        return [AuditFinding(shown, exc.lineno, "JSON does not parse", "unaudited data", UNPARSED)]
    findings = _audit_pairs(path, shown, text, {})
    if isinstance(data, dict) and _holds_session(data):
        line = next(
            (n for n, row in enumerate(text.splitlines(), 1) if re.search(r'"(cookies|origins)"', row)),
            1,
        )
        findings.append(AuditFinding(shown, line, "committed storage state holds a signed-in session",
                                     WHY_AUTH_STATE, AUTH_STATE))
    return sorted(findings)


def _holds_session(data: dict[str, Any]) -> bool:
    cookies = data.get("cookies")
    origins = data.get("origins")
    if not isinstance(cookies, list) and not isinstance(origins, list):
        return False
    with_value = [c for c in cookies or [] if isinstance(c, dict) and c.get("value")]
    stored = [o for o in origins or [] if isinstance(o, dict) and o.get("localStorage")]
    return bool(with_value or stored)


def audit_env(path: Path, shown: str) -> list[AuditFinding]:
    """A dotenv file the repository keeps (a git-ignored `.env` is where local secrets belong)."""
    if _git_ignored(path):
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    return _audit_pairs(path, shown, text, _line_comments(text))


def _audit_pairs(
    path: Path, shown: str, text: str, comments: dict[int, str]
) -> list[AuditFinding]:
    findings: list[tuple[AuditFinding, int]] = []
    secrets: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        for key, value in _config_pairs(line, path):
            shape = token_shape(value)
            if is_credential_name(key) and _secret_literal(value):
                what = f"hard-coded credential `{key}`"
            elif shape:
                what = f"literal {shape} in `{key}`"
            else:
                continue
            secrets.add(value)
            findings.append((AuditFinding(shown, number, what, WHY_CREDENTIAL, CREDENTIAL), number))
    return _dedupe_and_scrub(_apply_allows(shown, findings, comments), secrets)


def _git_ignored(path: Path) -> bool:
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent), "check-ignore", "-q", path.name],
            capture_output=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _is_env(name: str) -> bool:
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def is_project_layout(root: Path) -> bool:
    """authprobe's own layout (and a project like it): a root with an `e2e/` folder."""
    return (root / SUITE_DIRS[0]).is_dir()


def suite_files(root: Path) -> Iterator[Path]:
    """The files of the suite under `root`.

    A root with `e2e/` is laid out as authprobe is: Python, TOML and JSON files of the suite
    folders, and every conftest.py outside tests/, sandbox/, bench/. Any other root is a suite as
    a team lays it out (conftest.py, tests/, pages/, flows/ under any names): all its Python,
    TOML, JSON and dotenv files outside virtualenvs, .git and node_modules.
    """
    project = is_project_layout(root)
    skip = SKIP_DIRS | VENDOR_DIRS if project else VENDOR_DIRS
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        relative = Path(folder).relative_to(root).parts
        in_suite = not project or (bool(relative) and relative[0] in SUITE_DIRS)
        for name in sorted(files):
            if name == "conftest.py" or (in_suite and (name.endswith(_AUDITED_SUFFIXES) or _is_env(name))):
                yield Path(folder, name)


def audit_tree(root: Path) -> list[AuditFinding]:
    """Every finding under `root`, by file and line."""
    return audit_files(suite_files(root), root)


def audit_files(paths: Iterable[Path], root: Path | None = None) -> list[AuditFinding]:
    files = list(paths)
    if root is None:
        root = Path(os.path.commonpath([p.parent for p in files])) if files else Path(".")
    suite = _Suite(root, files)
    findings: list[AuditFinding] = []
    for path in files:
        shown = str(path)
        if path.suffix == ".py":
            if path in suite.errors:
                findings.append(AuditFinding(shown, suite.errors[path], "file does not parse",
                                             WHY_UNPARSED, UNPARSED))
            else:
                findings += audit_python(path, shown, suite)
        elif path.suffix == ".toml":
            findings += audit_toml(path, shown)
        elif path.suffix == ".json":
            findings += audit_json(path, shown)
        else:
            findings += audit_env(path, shown)
    return sorted(findings)


# ---------------------------------------------------------------- output


def to_sarif(findings: list[AuditFinding], root: Path) -> dict[str, Any]:
    """SARIF 2.1.0: one rule per kind, results with root-relative URIs and start lines."""
    kinds = list(RULES)
    rules = [
        {
            "id": rule.kind,
            "name": rule.name,
            "shortDescription": {"text": rule.short},
            "fullDescription": {"text": rule.help},
            "help": {"text": rule.help},
            "defaultConfiguration": {"level": "error"},
        }
        for rule in RULES.values()
    ]
    results = [
        {
            "ruleId": f.kind,
            "ruleIndex": kinds.index(f.kind),
            "level": "error",
            "message": {"text": f"{f.what} — {f.why}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": Path(os.path.relpath(f.path, root)).as_posix(),
                            "uriBaseId": "SRCROOT",
                        },
                        "region": {"startLine": max(f.line, 1)},
                    }
                }
            ],
        }
        for f in findings
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "authprobe audit",
                        "version": _version(),
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("authprobe")
    except PackageNotFoundError:
        return "0"


def audit_command(root: str, *, output: Literal["text", "sarif"] = "text") -> int:
    """`authprobe audit [--format text|sarif]`: 1 on findings, 0 clean, 2 when root is missing.

    Text: one line per finding and a count on stderr. SARIF 2.1.0: the log alone on stdout.
    """
    sarif = output == "sarif"
    if not Path(root).is_dir():
        print(f"{root} is not a folder; pass the root of the suite to audit.",
              file=sys.stderr if sarif else sys.stdout)
        return 2
    files = list(suite_files(Path(root)))
    findings = audit_files(files, Path(root))
    if sarif:
        print(json.dumps(to_sarif(findings, Path(root)), indent=2))
        return 1 if findings else 0
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} finding(s).", file=sys.stderr)
        return 1
    print(f"audit: 0 findings in {len(files)} files")
    return 0
