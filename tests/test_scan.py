"""The scanner (run secrets, detect-secrets, storage states) and the private artifact folder."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import secrets
import stat
import string
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser
from pydantic import SecretStr

from authprobe import sarif
from authprobe.scan import STORAGE_STATE, Finding, format_findings, scan_command, scan_paths
from authprobe.security.artifacts import ArtifactDir, make_private_dir, scan_after_run
from tests.test_watch import launch_chromium

pytestmark = pytest.mark.hygiene

ADMIN_TOKEN = "adm-7Qx9-LongLived-Token"
SECRETS = {"E2E_ADMIN_TOKEN": SecretStr(ADMIN_TOKEN)}
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ"  # pragma: allowlist secret
DETECTED = {  # detect-secrets' type: (text starting with the value, a part that must not be printed)
    "JSON Web Token": (f"{JWT}; path=/", JWT),
    "AWS Access Key": ("AKIAABCDEFGHIJKLMNOP ", "AKIAABCDEFGHIJKLMNOP"),  # pragma: allowlist secret
    "Private Key": ("-----BEGIN RSA PRIVATE KEY-----\nMIIBsecret", "MIIBsecret"),  # pragma: allowlist secret
    "Secret Keyword": ("?password=hunter22&user=a HTTP/1.1", "hunter22"),
}
AUTHPROBE = Path(sys.executable).with_name("authprobe")
DETECT_SECRETS = Path(sys.executable).with_name("detect-secrets")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    yield from launch_chromium()


def kinds(findings: list[Finding]) -> set[str]:
    return {f.kind for f in findings}


@pytest.mark.parametrize(("typed", "leaks"), [(ADMIN_TOKEN, True), ("an ordinary value", False)])
def test_admin_token_typed_while_tracing_is_found_by_name(
    chromium: Browser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    typed: str,
    leaks: bool,
) -> None:
    artifacts = ArtifactDir(tmp_path / "artifacts")
    trace = artifacts.path / "e2e-test_admin-py-test_x" / "trace.zip"
    trace.parent.mkdir()
    context = chromium.new_context()
    context.tracing.start(screenshots=True, snapshots=True)
    page = context.new_page()
    page.set_content('<label>Token <input name="token"></label>')
    page.get_by_label("Token").fill(typed)
    context.tracing.stop(path=trace)
    context.close()

    findings = scan_after_run(artifacts.path, SECRETS)
    code = scan_command([str(artifacts.path)], SECRETS)
    out, err = capsys.readouterr()

    assert ADMIN_TOKEN not in out + err, "the scanner must never print the secret it found"
    if leaks:
        assert code == 1
        assert "secret E2E_ADMIN_TOKEN" in kinds(findings)
        assert all(f"{trace}!" in f.path for f in findings), findings
        assert f"{trace}!" in out and ": secret E2E_ADMIN_TOKEN" in out
        assert ADMIN_TOKEN not in repr(findings)
    else:
        assert (code, findings) == (0, []), out
        assert out.startswith("scan: 0 findings in ")


def b64_at(prefix_len: int, value: str) -> bytes:
    return base64.b64encode(b"x" * prefix_len + value.encode() + b"tail")


@pytest.mark.parametrize("present", [True, False])
def test_url_encoded_json_escaped_and_base64_forms_are_found(tmp_path: Path, present: bool) -> None:
    secret = 'p@ss/w0rd+"ü"=yes'  # pragma: allowlist secret
    planted = secret if present else "another password entirely"
    (tmp_path / "url.txt").write_text(f"GET /cb?next={quote(planted, safe='')}")
    (tmp_path / "har.json").write_text(json.dumps({"text": planted}))
    for shift in range(3):
        (tmp_path / f"body{shift}.b64").write_bytes(b64_at(shift, planted))

    findings = scan_paths([tmp_path], {"E2E_IMAP_PASSWORD": SecretStr(secret)})

    if present:
        by_file = {(Path(f.path).name, f.kind) for f in findings}
        assert by_file == {
            ("url.txt", "secret E2E_IMAP_PASSWORD (url-encoded)"),
            ("har.json", "secret E2E_IMAP_PASSWORD (json-escaped)"),
            ("body0.b64", "secret E2E_IMAP_PASSWORD (base64)"),
            ("body1.b64", "secret E2E_IMAP_PASSWORD (base64)"),
            ("body2.b64", "secret E2E_IMAP_PASSWORD (base64)"),
        }
    else:
        assert findings == []


def test_secrets_shorter_than_eight_characters_are_not_searched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "log.txt").write_text("short=abc1234 long=abcd1234")
    secrets = {"E2E_SHORT": SecretStr("abc1234"), "E2E_EIGHT": SecretStr("abcd1234")}

    assert kinds(scan_paths([tmp_path], secrets)) == {"secret E2E_EIGHT"}
    assert scan_command([str(tmp_path)], secrets) == 1
    out, err = capsys.readouterr()
    assert "E2E_SHORT is shorter than 8 characters" in err
    assert "abc1234" not in out + err


@pytest.mark.parametrize("kind", sorted(DETECTED))
def test_detect_secrets_flags_values_in_trace_members_without_printing_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    with zipfile.ZipFile(tmp_path / "trace.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("resources/abc", f"before {DETECTED[kind][0]} after")

    assert scan_command([str(tmp_path)], {}) == 1
    out, err = capsys.readouterr()
    assert f"trace.zip!resources/abc:1: {kind}\n" in out
    assert DETECTED[kind][1] not in out + err


def test_harmless_text_has_no_findings(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<input type="password" name="password"> eyJ alone, Bearer short, AKIA123, '
        "-----BEGIN PUBLIC KEY----- /login?password=&next=/"
    )
    assert scan_paths([tmp_path], SECRETS) == []


def test_nested_zip_members_are_named_by_their_path_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("notes.txt", f"one\r\ntwo\ntoken {ADMIN_TOKEN} and again {ADMIN_TOKEN}\n")
    with zipfile.ZipFile(tmp_path / "outer.zip", "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())

    findings = scan_paths([tmp_path], SECRETS)

    assert [(f.path, f.line, f.kind) for f in findings] == [  # once per line, on its true line
        (f"{tmp_path}/outer.zip!inner.zip!notes.txt", 3, "secret E2E_ADMIN_TOKEN")
    ]
    assert format_findings(findings) == f"{tmp_path}/outer.zip!inner.zip!notes.txt:3: secret E2E_ADMIN_TOKEN"
    assert scan_command([str(tmp_path)], SECRETS, output="sarif") == 1
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert result["message"]["text"] == (
        "secret E2E_ADMIN_TOKEN, in archive member inner.zip!notes.txt (line 3)"
    )
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "outer.zip"


def test_run_secret_in_a_dotenv_is_reported_by_its_true_line_in_text_and_sarif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was reported by byte offset (`.env:57` for line 4)."""
    env = tmp_path / ".env"
    env.write_text(f"# local\nE2E_BASE_URL=http://localhost:1\n\nE2E_ADMIN_TOKEN={ADMIN_TOKEN}\n")

    assert scan_command([str(env)], SECRETS) == 1
    assert f"{env}:4: secret E2E_ADMIN_TOKEN" in capsys.readouterr().out.splitlines()
    assert scan_command([str(env)], SECRETS, output="sarif") == 1
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"]
             for r in json.loads(capsys.readouterr().out)["runs"][0]["results"]}  # fmt: skip
    assert lines == {4}


def test_secret_in_a_file_name_is_reported_by_name_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / f"shot-{ADMIN_TOKEN}.png").write_bytes(b"\x89PNG")

    assert scan_command([str(tmp_path)], SECRETS) == 1
    out, err = capsys.readouterr()
    assert "shot-[E2E_ADMIN_TOKEN].png:0: secret in file name" in out
    assert ADMIN_TOKEN not in out + err


def test_unreadable_file_gives_a_warning_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "gone.zip").symlink_to(tmp_path / "missing")
    warnings: list[str] = []

    assert scan_paths([tmp_path], SECRETS, warn=warnings.append) == []
    assert warnings == [f"could not read {tmp_path}/gone.zip (No such file or directory); "
                        "it was not scanned"]  # fmt: skip


def test_missing_path_exits_2_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scan_command([str(tmp_path / "nope")], SECRETS) == 2
    assert capsys.readouterr().out.count("\n") == 1


def test_artifact_folder_and_files_are_private(tmp_path: Path) -> None:
    artifacts = ArtifactDir(tmp_path / "run")
    test_folder = artifacts.path / "e2e-test-login-py-test-sign-in-chromium"
    test_folder.mkdir(mode=0o755)  # as Playwright writes it, with the process umask
    trace = test_folder / "trace.zip"
    trace.write_bytes(b"PK")
    trace.chmod(0o644)
    loose = test_folder / "screenshot.png"
    loose.write_bytes(b"png")
    loose.chmod(0o644)
    artifacts.seal()

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(artifacts.path) == 0o700
    assert mode(trace.parent) == 0o700
    assert mode(trace) == 0o600
    assert mode(loose) == 0o600
    artifacts.path.chmod(0o755)
    assert mode(make_private_dir(artifacts.path)) == 0o700

    assert artifacts.scan(SECRETS) == []


# ------------------------------------------------------- repositories (git) and detect-secrets

ALNUM = string.ascii_letters + string.digits


def random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def git(repo: Path, *args: str) -> None:
    """git with a neutral configuration (no global hooks, excludes or signing)."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    *args], check=True, capture_output=True, env=env, timeout=60)


def new_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    return path


def commit_all(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "planted")


def aws_key() -> str:
    return "AKIA" + random_text(string.ascii_uppercase + string.digits, 16)


def plant_env(repo: Path) -> list[str]:
    """A committed .env with real-looking values; lines 2-4 hold them."""
    values = [secrets.token_urlsafe(12), "sk_live_" + random_text(ALNUM, 99), secrets.token_hex(20)]
    (repo / ".env").write_text(
        "# staging\n"
        f"DATABASE_URL=postgres://app:{values[0]}@db/app\n"
        f"STRIPE_SECRET_KEY={values[1]}\n"
        f"API_TOKEN={values[2]}\n"
        "DEBUG=false\n"
    )
    return values


def plant_storage_state(repo: Path) -> tuple[str, list[str]]:
    """A Playwright storage state as `context.storage_state(path=...)` writes it."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"sub": "u-" + secrets.token_hex(4), "exp": 1999999999}).encode())
    jwt = f"{header}.{claims}.{b64url(secrets.token_bytes(32))}"
    cookie = secrets.token_urlsafe(32)
    state = {
        "cookies": [{"name": "sessionid", "value": cookie, "domain": "staging.example.com", "path": "/",
                     "expires": -1, "httpOnly": True, "secure": True, "sameSite": "Lax"}],
        "origins": [{"origin": "https://staging.example.com",
                     "localStorage": [{"name": "access_token", "value": jwt}]}],
    }
    path = repo / "e2e" / ".auth" / "staging.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(state, indent=2))
    return "e2e/.auth/staging.json", [cookie, jwt, jwt.rsplit(".", 1)[1]]


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def assert_never_shown(output: str, values: list[str]) -> None:
    for value in values:
        assert value not in output, "a planted value was printed"
        assert hashlib.sha1(value.encode()).hexdigest() not in output, "a planted value's hash was printed"


def test_committed_env_and_storage_state_are_reported_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = new_repo(tmp_path / "repo")
    planted = plant_env(repo)
    state, in_state = plant_storage_state(repo)
    commit_all(repo)
    jwt_line = line_of(repo / state, "access_token") + 1

    assert scan_command([str(repo)], {}) == 1
    out, err = capsys.readouterr()

    lines = set(out.splitlines())
    assert {
        f"{repo}/.env:2: Basic Auth Credentials",
        f"{repo}/.env:3: Stripe Access Key",
        f"{repo}/.env:4: Hex High Entropy String",  # by detect-secrets' config-file reading
        f"{repo}/{state}:2: {STORAGE_STATE}",
        f"{repo}/{state}:{jwt_line}: JSON Web Token",
    } <= lines, out
    assert out.splitlines()[-1].startswith(f"{len(lines) - 1} finding(s) in 2 file(s) of 2 scanned")
    assert_never_shown(out + err, planted + in_state)


def test_sarif_names_rule_file_and_line_and_no_value_nor_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = new_repo(tmp_path / "repo")
    planted = plant_env(repo)
    state, in_state = plant_storage_state(repo)
    commit_all(repo)
    token = "adm-" + secrets.token_urlsafe(24)
    (repo / "notes.txt").write_text(f"the admin token is\n  {token}\n")  # untracked, not ignored

    assert scan_command([str(repo)], {"E2E_ADMIN_TOKEN": SecretStr(token)}, output="sarif") == 1
    out, err = capsys.readouterr()
    assert_never_shown(out + err, [*planted, *in_state, token])

    log = json.loads(out)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "authprobe scan"
    assert run["originalUriBaseIds"]["SCANROOT"]["uri"] == repo.resolve().as_uri() + "/"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules))

    def where(result: dict[str, Any]) -> tuple[str, str, int]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "SCANROOT"
        assert rules[result["ruleIndex"]] == result["ruleId"]
        return result["ruleId"], location["artifactLocation"]["uri"], location["region"]["startLine"]

    assert {
        ("detect-secrets/stripe-access-key", ".env", 3),
        ("detect-secrets/hex-high-entropy-string", ".env", 4),
        ("authprobe/playwright-storage-state", state, 2),
        ("authprobe/run-secret", "notes.txt", 2),
    } <= {where(result) for result in run["results"]}


def test_the_one_sarif_writer_indexes_rules_and_writes_uri_references(tmp_path: Path) -> None:
    """Shared by scan and audit: what a rule or result does not know is left out, not empty."""
    log = sarif.log(
        "tool",
        [sarif.Rule("a", "A"), sarif.Rule("b", "B", help="how to fix")],
        [sarif.Result("b", "one", "my dir/x.txt", "BASE"), sarif.Result("a", "two", "y", "BASE", line=3)],
        [sarif.Base("BASE", tmp_path)],
    )
    assert (log["version"], log["$schema"]) == ("2.1.0", "https://json.schemastore.org/sarif-2.1.0.json")
    (run,) = log["runs"]
    assert run["tool"]["driver"] == {"name": "tool", "rules": [
        {"id": "a", "shortDescription": {"text": "A"}},
        {"id": "b", "shortDescription": {"text": "B"}, "help": {"text": "how to fix"}},
    ]}  # fmt: skip
    assert [(r["ruleId"], r["ruleIndex"]) for r in run["results"]] == [("b", 1), ("a", 0)]
    first, second = (r["locations"][0]["physicalLocation"] for r in run["results"])
    assert first == {"artifactLocation": {"uri": "my%20dir/x.txt", "uriBaseId": "BASE"}}
    assert second["region"] == {"startLine": 3}
    assert run["originalUriBaseIds"] == {"BASE": {"uri": tmp_path.resolve().as_uri() + "/"}}


def test_console_script_reports_both_planted_files_and_never_prints_them(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    planted = plant_env(repo)
    state, in_state = plant_storage_state(repo)
    commit_all(repo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}

    done = subprocess.run([str(AUTHPROBE), "scan", "repo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 1, done
    assert "repo/.env:3: Stripe Access Key" in done.stdout, done.stdout
    assert "repo/.env:4: Hex High Entropy String" in done.stdout, done.stdout
    assert f"repo/{state}:2: {STORAGE_STATE}" in done.stdout, done.stdout
    assert_never_shown(done.stdout + done.stderr, planted + in_state)


def test_storage_state_is_recognised_by_its_shape_alone(tmp_path: Path) -> None:
    # an Express session cookie: its "%" and "." keep detect-secrets' entropy plugins off it
    sid = f"s%3A{secrets.token_urlsafe(24)}.{secrets.token_urlsafe(32)}"
    signed_in = {"cookies": [{"name": "connect.sid", "value": sid, "domain": "app.test"}], "origins": []}
    (tmp_path / "user.json").write_text(json.dumps(signed_in))
    (tmp_path / "anonymous.json").write_text(json.dumps({"cookies": [], "origins": []}))
    (tmp_path / "har.json").write_text(json.dumps({"log": {"entries": [{"cookies": []}]}}))

    assert [(Path(f.path).name, f.line, f.kind) for f in scan_paths([tmp_path], {})] == [
        ("user.json", 1, STORAGE_STATE)
    ]


def test_allowlist_pragma_silences_a_line_but_never_a_run_secret(tmp_path: Path) -> None:
    token = "adm-" + secrets.token_urlsafe(24)
    key, allowed = aws_key(), aws_key()
    (tmp_path / "settings.py").write_text(
        f'A = "{key}"\n'
        f'B = "{allowed}"  # pragma: allowlist secret\n'
        f'C = "{token}"  # pragma: allowlist secret\n'
    )
    findings = scan_paths([tmp_path], {"E2E_ADMIN_TOKEN": SecretStr(token)})
    assert [(f.line, f.kind) for f in findings] == [(1, "AWS Access Key"), (3, "secret E2E_ADMIN_TOKEN")]


def test_baseline_at_the_repository_root_skips_the_findings_it_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "config").mkdir()
    env = repo / "config" / ".env"
    env.write_text(f"STRIPE_SECRET_KEY=sk_live_{random_text(ALNUM, 99)}\n")
    commit_all(repo)
    baseline = subprocess.run([str(DETECT_SECRETS), "scan"], cwd=repo, capture_output=True, text=True,
                              check=True, timeout=60).stdout
    assert '"config/.env"' in baseline  # the key is listed, by its hash
    (repo / ".secrets.baseline").write_text(baseline)
    env.write_text(env.read_text() + f"API_TOKEN={secrets.token_hex(20)}\n")

    findings = scan_paths([repo / "config"], {})  # a folder below the root: paths from the root

    assert [(f.path, f.line, f.kind) for f in findings] == [
        (f"{repo}/config/.env", 2, "Hex High Entropy String")
    ]
    (repo / ".secrets.baseline").unlink()
    assert (f"{repo}/config/.env", 1, "Stripe Access Key") in {
        (f.path, f.line, f.kind) for f in scan_paths([repo / "config"], {})
    }


def test_files_the_baseline_excludes_are_not_scanned(tmp_path: Path) -> None:
    """detect-secrets' `scan --exclude-files REGEX` is recorded in the baseline and kept."""
    repo = new_repo(tmp_path / "repo")
    for folder in ("corpus", "app"):
        (repo / folder).mkdir()
        (repo / folder / ".env").write_text(f"STRIPE_SECRET_KEY=sk_live_{random_text(ALNUM, 99)}\n")
    commit_all(repo)
    baseline = subprocess.run([str(DETECT_SECRETS), "scan", "--exclude-files", "^corpus/"], cwd=repo,
                              capture_output=True, text=True, check=True, timeout=60).stdout
    (repo / ".secrets.baseline").write_text(baseline)
    (repo / "app" / ".env").write_text(f"STRIPE_SECRET_KEY=sk_live_{random_text(ALNUM, 99)}\n")
    assert {(f.path, f.kind) for f in scan_paths([repo], {})} == {
        (f"{repo}/app/.env", "Stripe Access Key")}


def test_a_repository_gives_the_files_git_would_track_an_ignored_folder_all_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("test-results/\n*.log\n")
    (repo / "committed.yaml").write_text(f'aws_key: "{aws_key()}"\n')
    commit_all(repo)
    (repo / "untracked.toml").write_text(f'aws_key = "{aws_key()}"\n')
    (repo / "debug.log").write_text(f"{aws_key()}\n")
    (repo / "test-results" / "t1").mkdir(parents=True)
    (repo / "test-results" / "t1" / "network.txt").write_text(f"{aws_key()}\n")

    assert {Path(f.path).name for f in scan_paths([repo], {})} == {"committed.yaml", "untracked.toml"}
    assert [Path(f.path).name for f in scan_paths([repo / "test-results"], {})] == ["network.txt"]
    assert [Path(f.path).name for f in scan_paths([repo / "debug.log"], {})] == ["debug.log"]

    assert scan_command([str(repo / "test-results")], {}) == 1
    capsys.readouterr()
    (repo / "committed.yaml").write_text("nothing: here\n")
    (repo / "untracked.toml").unlink()
    assert scan_command([str(repo)], {}) == 0
    assert capsys.readouterr().out == f"scan: 0 findings in 2 files (the files git would track in {repo})\n"


def test_archive_members_go_through_a_private_folder_removed_even_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detect_secrets.core import scan as detect

    with zipfile.ZipFile(tmp_path / "trace.zip", "w") as archive:
        archive.writestr("resources/page.html", f"<p>{aws_key()}</p>")
        archive.writestr("resources/second.html", "<p>never reached</p>")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    scan_file = detect.scan_file
    seen: list[tuple[str, int, int, int]] = []

    def scan_then_fail(filename: str) -> Iterator[Any]:
        path = Path(filename)
        on_disk = sum(1 for p in temp.rglob("*") if p.is_file())  # only the member being scanned
        seen.append((path.name, stat.S_IMODE(path.stat().st_mode),
                     stat.S_IMODE(path.parent.stat().st_mode), on_disk))
        if len(seen) > 1:
            raise RuntimeError("detector broke")
        yield from scan_file(filename)

    monkeypatch.setattr(detect, "scan_file", scan_then_fail)
    with pytest.raises(RuntimeError, match="detector broke"):
        scan_paths([tmp_path / "trace.zip"], {})

    assert seen == [("page.html", 0o600, 0o700, 1), ("second.html", 0o600, 0o700, 1)]
    assert list(temp.iterdir()) == []


# ------------------------------------------------- values under secret names (authprobe's plugins)


def blind_spot_token() -> str:
    """A random 32-character token detect-secrets' own plugins miss (its base64 entropy limit
    of 4.5 lets about 4 in 10 of them through; its keyword plugin has no "token")."""
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    while True:
        value = random_text(ALNUM, 32)
        if Base64HighEntropyString().calculate_shannon_entropy(value) <= 4.5:
            return value


def test_committed_env_with_only_a_token_fails_the_cli_on_its_true_line(tmp_path: Path) -> None:
    """The acceptance of issue 27: through the real CLI, from the repository (where the settings
    read the same .env, so the run's own secret is found too) and from outside it."""
    repo = new_repo(tmp_path / "repo")
    token = blind_spot_token()
    (repo / ".env").write_text(f"E2E_ADMIN_TOKEN={token}\n")
    commit_all(repo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}

    def scan(cwd: Path, path: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "authprobe.cli", "scan", path], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=60)

    inside, outside = scan(repo, "."), scan(tmp_path, "repo")

    assert (inside.returncode, outside.returncode) == (1, 1), (inside, outside)
    assert {".env:1: Secret under a secret-sounding name", ".env:1: secret E2E_ADMIN_TOKEN"} <= set(
        inside.stdout.splitlines()), inside.stdout
    assert outside.stdout.splitlines()[0] == "repo/.env:1: Secret under a secret-sounding name"
    assert_never_shown(inside.stdout + inside.stderr + outside.stdout + outside.stderr, [token])


@pytest.mark.parametrize(
    ("name", "line", "kind"),
    [
        (".env.staging", "export API_TOKEN={v}", "Secret under a secret-sounding name"),
        ("ci.yml", "  deploy_token: {v}", "Secret under a secret-sounding name"),
        ("app.json", '{{"refreshToken": "{v}", "x": 1}}', "Secret under a secret-sounding name"),
        ("settings.toml", 'signing-key = "{v}"', "Secret under a secret-sounding name"),
        ("conftest.py", 'HOOK_TOKEN = "{v}"', "Secret under a secret-sounding name"),
        ("client.ts", 'const adminToken = "{v}";', "Secret under a secret-sounding name"),
        ("req.http", "Authorization: Bearer {v}", "Authorization header value"),
        ("api.py", 'headers = {{"X-Auth": "Token {v}"}}', "Authorization header value"),
        ("notes.md", "open https://app.example/cb?state=1&access_token={v}#x", "Token in a URL query string"),
        ("page.html", '<img src="/p.png?token={v}">', "Token in a URL query string"),
    ],
)  # fmt: skip
def test_values_under_secret_names_are_found_in_every_kind_of_file(
    tmp_path: Path, name: str, line: str, kind: str
) -> None:
    value = "Zk3vQ9pL2mX8wR5t"  # 16 characters: under detect-secrets' entropy limits
    (tmp_path / name).write_text(f"# first\n\n{line.format(v=value)}\n")
    assert [(f.line, f.kind) for f in scan_paths([tmp_path], {})] == [(3, kind)]


@pytest.mark.parametrize(
    "line",
    [
        "E2E_ADMIN_TOKEN=", "E2E_ADMIN_TOKEN=changeme", "E2E_ADMIN_TOKEN=<your-token>",
        "E2E_ADMIN_TOKEN=${ADMIN_TOKEN}", "API_KEY=$API_KEY", "E2E_ADMIN_TOKEN=E2E_HOOK_TOKEN",
        "token: ${{ secrets.E2E_ADMIN_TOKEN }}", "password: '{{ vault_password }}'",
        "E2E_HOOK_TOKEN=xxxxxxxxxxxxxxxx", "E2E_ADMIN_TOKEN=my-test-token-1",
        'ADMIN_TOKEN = os.environ["E2E_ADMIN_TOKEN"]', "token = settings.admin_token.get_secret_value()",
        'SORT_KEY = "created_at"', 'primary_key = "user_id"', "monkey = Zk3vQ9pL2mX8wR5t",
        'headers = {"Authorization": f"Bearer {token}"}', "Authorization: Bearer <token>",
        "curl -H 'Authorization: Bearer $E2E_ADMIN_TOKEN'", "see /login?token=&next=/",
        "cache_key=users:v2:list", "E2E_ADMIN_TOKEN=Zk3vQ9pL2mX8wR5t  # pragma: allowlist secret",
    ],
)  # fmt: skip
def test_placeholders_references_and_plain_words_are_not_secrets(tmp_path: Path, line: str) -> None:
    for name in (".env", "config.yaml", "conftest.py"):
        (tmp_path / name).write_text(f"{line}\n")
    assert scan_paths([tmp_path], {}) == []


def test_one_finding_per_line_and_detect_secrets_baselines_still_apply(tmp_path: Path) -> None:
    """A line detect-secrets itself flags is one finding, so a `.secrets.baseline` written by
    `detect-secrets scan` (which knows none of authprobe's plugins) still accepts it."""
    repo = new_repo(tmp_path / "repo")
    (repo / "config.yaml").write_text(f"api_key: {secrets.token_hex(20)}\nx_token: Zk3vQ9pL2mX8wR5t\n")
    commit_all(repo)
    assert [(f.line, f.kind) for f in scan_paths([repo], {})] == [
        (1, "Hex High Entropy String"), (1, "Secret Keyword"), (2, "Secret under a secret-sounding name")]
    baseline = subprocess.run([str(DETECT_SECRETS), "scan"], cwd=repo, capture_output=True, text=True,
                              check=True, timeout=60).stdout
    (repo / ".secrets.baseline").write_text(baseline)
    assert [(f.line, f.kind) for f in scan_paths([repo], {})] == [(2, "Secret under a secret-sounding name")]


@pytest.mark.parametrize(("name", "text"), [
    ("profile.toml", "[locators.password_change]\n"
                     "current_password_field = false  # the form asks for the new one\n"),
    ("shapes.py", 'SHAPES = {\n    "password_change_no_current": '
                  '"the password-change form has no current-password field",\n}\n'),
    ("config.yaml", "password_required: null\n"),
])  # fmt: skip
def test_a_boolean_or_a_sentence_after_a_password_name_is_no_secret(
        tmp_path: Path, name: str, text: str) -> None:
    """detect-secrets' keyword detector flagged both lines of authprobe's own shape catalogue
    and profile (a false alarm costs as much as a miss)."""
    (tmp_path / name).write_text(text)
    assert scan_paths([tmp_path], {}) == []


@pytest.mark.parametrize("value", ["Zk3vQ9pL2mX8wR5t", "correct horse battery staple"])
def test_a_password_value_is_still_found_beside_the_prose_filter(tmp_path: Path, value: str) -> None:
    (tmp_path / "conftest.py").write_text(f'password = "{value}"\n')
    assert [(f.line, f.kind) for f in scan_paths([tmp_path], {})] == [(1, "Secret Keyword")]
