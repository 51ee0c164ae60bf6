"""CI's security step (.ci/security) fails a repository with a planted secret or a stubbed
auth route, without printing the value, and passes a clean one."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEP = ROOT / ".ci" / "security"


def _repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    for command in (["init", "-q"], ["add", "-A"],
                    ["-c", "user.email=ci@example.test", "-c", "user.name=ci", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=path, check=True, capture_output=True, timeout=30)
    return path


def _step(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTHPROBE": str(Path(sys.executable).with_name("authprobe"))}
    env = {k: v for k, v in env.items() if not k.startswith("E2E_")}
    return subprocess.run([str(STEP)], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


CONFTEST = ("import os\n\nimport pytest\n\n\n@pytest.fixture\ndef password() -> str:\n"
            "    return os.environ['E2E_PASSWORD']\n")


@pytest.mark.parametrize(("name", "line"), [("API_TOKEN", 1), ("E2E_ADMIN_TOKEN", 4)])
def test_a_committed_secret_fails_the_step_without_being_printed(
        tmp_path: Path, name: str, line: int) -> None:
    """The issue's probe: a .env whose only secret is authprobe's own admin token (detect-
    secrets' keyword plugin has no "token" keyword), named by its true line."""
    token = secrets.token_hex(20)
    env = "".join(f"# staging settings {n}\n" for n in range(line - 1)) + f"{name}={token}\n"
    repo = _repo(tmp_path / "repo", {"conftest.py": CONFTEST, ".env": env})
    done = _step(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f".env:{line}" in done.stdout, done.stdout
    assert token not in done.stdout + done.stderr


def test_a_stubbed_auth_route_fails_the_step(tmp_path: Path) -> None:
    stub = ("def test_x(page):\n    page.route('**/api/session', lambda route: route.fulfill("
            "json={'authenticated': True}))\n")
    done = _step(_repo(tmp_path / "repo", {"conftest.py": CONFTEST, "tests/test_x.py": stub}))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test_x.py:2" in done.stdout


def test_a_clean_repository_passes(tmp_path: Path) -> None:
    done = _step(_repo(tmp_path / "repo", {"conftest.py": CONFTEST}))
    assert done.returncode == 0, done.stdout + done.stderr
