"""`authprobe scan` and `authprobe audit` as users run them: the installed console script."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

pytestmark = pytest.mark.hygiene

AUTHPROBE = Path(sys.executable).with_name("authprobe")


def authprobe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script from `cwd` (no .env there) with no E2E_* variable but `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    return subprocess.run([str(AUTHPROBE), *args], cwd=cwd, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=60)


def test_scan_names_the_admin_token_it_finds_and_never_prints_it(tmp_path: Path) -> None:
    token = "adm-" + secrets.token_urlsafe(24)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "network.log").write_text(f"POST /api/admin/users\nAuthorization: {token}\n")
    done = authprobe("scan", "run", cwd=tmp_path, env={"E2E_ADMIN_TOKEN": token})
    assert done.returncode == 1, done
    assert "run/network.log:" in done.stdout and "secret E2E_ADMIN_TOKEN" in done.stdout, done.stdout
    assert token not in done.stdout + done.stderr


def test_scan_of_clean_artifacts_exits_0_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "log.txt").write_text("nothing secret here\n")
    done = authprobe("scan", "run", cwd=tmp_path, env={"E2E_ADMIN_TOKEN": secrets.token_urlsafe(24)})
    assert (done.returncode, done.stdout) == (0, "scan: 0 findings in 1 files\n"), done


def test_scan_of_a_missing_path_exits_2_with_one_sentence(tmp_path: Path) -> None:
    done = authprobe("scan", "no-such-dir", cwd=tmp_path)
    assert done.returncode == 2, done
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "no-such-dir does not exist" in lines[0], lines
    assert "Traceback" not in done.stderr


def test_audit_finds_a_stubbed_session_endpoint_by_file_and_line(tmp_path: Path) -> None:
    conftest = tmp_path / "e2e" / "conftest.py"
    conftest.parent.mkdir()
    conftest.write_text(dedent("""
        import pytest

        @pytest.fixture(autouse=True)
        def signed_in(page):
            page.route("**/api/session", lambda route: route.fulfill(json={"authenticated": True}))
        """).lstrip())
    done = authprobe("audit", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 1, done
    assert f"{conftest}:5: route stub fulfils" in done.stdout, done.stdout


def test_audit_of_a_clean_tree_exits_0_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "e2e").mkdir()
    (tmp_path / "e2e" / "test_x.py").write_text("def test_x() -> None:\n    assert 1 + 1 == 2\n")
    done = authprobe("audit", str(tmp_path), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "audit: 0 findings in 1 files\n"), done


def test_audit_of_a_missing_folder_exits_2_with_one_sentence(tmp_path: Path) -> None:
    done = authprobe("audit", str(tmp_path / "nope"), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout.count("\n") == 1, done
    assert "is not a folder" in done.stdout
