"""The artifact scanner and the private artifact folder, on planted secrets."""

from __future__ import annotations

import base64
import io
import json
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser
from pydantic import SecretStr

from harness.artifacts import ArtifactDir, make_private_dir, scan_after_run
from harness.scan import Finding, format_findings, scan_command, scan_paths
from tests.test_watch import launch_chromium

pytestmark = pytest.mark.hygiene

ADMIN_TOKEN = "adm-7Qx9-LongLived-Token"
SECRETS = {"E2E_ADMIN_TOKEN": SecretStr(ADMIN_TOKEN)}
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ"
SHAPES = {  # shape: (text starting with the match, a value that must not be printed)
    "JWT": (f"{JWT}; path=/", JWT),
    "bearer token": ("Bearer abcdefghijklmnopqrstuvwxyz0123\r\n", "uvwxyz0123"),
    "AWS access key id": ("AKIAABCDEFGHIJKLMNOP ", "AKIAABCDEFGHIJKLMNOP"),
    "private key": ("-----BEGIN RSA PRIVATE KEY-----\nMIIBsecret", "MIIBsecret"),
    "credential in query": ("?password=hunter22&user=a HTTP/1.1", "hunter22"),
}


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
    secret = 'p@ss/w0rd+"ü"=yes'
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


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_token_shapes_are_flagged_without_their_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str
) -> None:
    with zipfile.ZipFile(tmp_path / "trace.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("resources/abc", f"before {SHAPES[shape][0]} after")

    assert scan_command([str(tmp_path)], {}) == 1
    out, err = capsys.readouterr()
    assert f"trace.zip!resources/abc:7: token shape: {shape}" in out
    assert SHAPES[shape][1] not in out + err


def test_harmless_text_has_no_findings(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<input type="password" name="password"> eyJ alone, Bearer short, AKIA123, '
        "-----BEGIN PUBLIC KEY----- /login?password=&next=/"
    )
    assert scan_paths([tmp_path], SECRETS) == []


def test_nested_zip_members_are_named_by_their_path(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("notes.txt", f"token {ADMIN_TOKEN}")
    with zipfile.ZipFile(tmp_path / "outer.zip", "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())

    findings = scan_paths([tmp_path], SECRETS)

    assert findings == [
        Finding(f"{tmp_path}/outer.zip!inner.zip!notes.txt", 6, "secret E2E_ADMIN_TOKEN")
    ]
    assert format_findings(findings) == (
        f"{tmp_path}/outer.zip!inner.zip!notes.txt:6: secret E2E_ADMIN_TOKEN"
    )


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
