"""`authprobe init --ci github|gitlab`: the nightly workflow a team pastes.

What a team relies on without reading the file: it parses, it runs the commands of a night in
order, every documented setting reaches the run (secrets from the secret store, never as a
value), our own workflows are the same templates, and the validators CI runs (actionlint,
GitLab's CI schema) accept the files and are seen rejecting a broken one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from authprobe.cli import main
from authprobe.cli.init_ci import DESTINATION, Kind, render
from authprobe.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {f"E2E_{name.upper()}" for name, info in Settings.model_fields.items()
           if SecretStr in (info.annotation, *getattr(info.annotation, "__args__", ()))}
PLAIN = {f"E2E_{name.upper()}" for name in Settings.model_fields} - SECRETS
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
ACTIONLINT = ROOT / ".ci" / "node_modules" / "@tktco" / "node-actionlint"


def _github(text: str) -> dict[str, object]:
    workflow: dict[str, object] = yaml.safe_load(text)
    return workflow


def test_github_workflow_maps_every_setting_secrets_from_secrets() -> None:
    job = _github(render("github"))["jobs"]["e2e"]  # type: ignore[index]
    env: dict[str, str] = job["env"]
    assert SECRETS and PLAIN - {"E2E_STATE_DIR", "E2E_ARTIFACTS_DIR"}
    assert set(env) >= SECRETS | PLAIN, sorted((SECRETS | PLAIN) - set(env))
    for name in SECRETS:
        assert env[name] == f"${{{{ secrets.{name} }}}}", (name, env[name])
    for name in PLAIN - {"E2E_STATE_DIR", "E2E_ARTIFACTS_DIR"}:
        assert env[name].startswith(f"${{{{ vars.{name}"), (name, env[name])
    assert env["E2E_TARGET"] == "${{ vars.E2E_TARGET || 'myapp.toml' }}"  # a plain variable
    assert env["E2E_IMAP_PORT"] == "${{ vars.E2E_IMAP_PORT || '993' }}"  # the model's default


def test_github_workflow_runs_a_night_in_order_from_the_package() -> None:
    jobs = _github(render("github"))["jobs"]  # type: ignore[index]
    steps = [*jobs["e2e"]["steps"], *jobs["report"]["steps"]]  # the shards, then the merged report
    runs = " | ".join(str(step.get("run", step.get("uses", ""))) for step in steps)
    order = ['pip install --disable-pip-version-check "authprobe==', "authprobe doctor",
             "authprobe run -n 2", "authprobe scan reports test-results", "authprobe merge",
             "authprobe sweep", "test-summary/action@", "actions/cache/restore@",
             "authprobe compare history/ reports/junit.xml", "actions/cache/save@",
             "actions/upload-artifact@"]
    places = [runs.find(order[0])]
    for part in order[1:]:  # each after the one before
        places.append(runs.find(part, places[-1]) if places[-1] >= 0 else -1)
    assert -1 not in places and places == sorted(places), list(zip(order, places, strict=True))
    assert "-e ." not in runs and "pytest e2e/" not in runs  # a team's repository has neither
    upload = next(step for step in steps if "upload-artifact" in str(step.get("uses")))
    assert "steps.scan.outcome == 'success'" in upload["if"]


def test_gitlab_job_maps_every_setting_and_writes_no_secret_value() -> None:
    text = render("gitlab")
    assert "authprobe compare history/ reports/junit.xml" in text and "paths: [history/]" in text
    job = yaml.safe_load(text)["authprobe-nightly"]
    for name in SECRETS | PLAIN:
        assert name in text, name
    assert not SECRETS & set(job["variables"]), SECRETS & set(job["variables"])
    assert job["variables"]["E2E_TARGET"] == "myapp.toml"
    script = " ".join(job["before_script"] + job["script"] + job["after_script"])
    for command in ('pip install "authprobe==', "authprobe doctor", "authprobe run -n 2",
                    "authprobe scan reports test-results", ".authprobe/runs"):
        assert command in script, command
    report = yaml.safe_load(text)["authprobe-report"]  # the shards merged: one JUnit, one sweep
    assert report["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    merged = " ".join(report["script"])
    assert merged.index("authprobe merge") < merged.index("authprobe sweep"), merged


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_init_ci_writes_once_and_never_overwrites(kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--ci", kind, "--name", "shop"]) == 0
    path = tmp_path / DESTINATION[kind]
    assert "shop.toml" in path.read_text() and not (tmp_path / ".env.example").exists()
    path.write_text("# the team's own edits\n")
    capsys.readouterr()
    assert main(["init", "--ci", kind]) != 0
    said = capsys.readouterr().err.strip()
    assert said.endswith("already exists; authprobe init never overwrites: move it away and run it again.")
    assert path.read_text() == "# the team's own edits\n"


def test_our_workflows_are_the_templates() -> None:
    """Ours differ from a team's in the install line only (this checkout, editable); regenerate
    them with `python -m authprobe.cli.init_ci` from the repository's root."""
    ours = (ROOT / ".github/workflows/nightly.yml").read_text()
    assert ours == render("github", None, editable=True), "python -m authprobe.cli.init_ci"
    assert (ROOT / "docs/gitlab-ci.yml").read_text() == render("gitlab"), "python -m authprobe.cli.init_ci"


def _validate(command: list[str], path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.mark.skipif(not CHECK_JSONSCHEMA.exists(), reason="check-jsonschema (the dev extra) is not installed")
def test_gitlab_schema_accepts_the_job_and_rejects_a_broken_one(tmp_path: Path) -> None:
    command = [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.gitlab-ci"]
    good, broken = tmp_path / "good.yml", tmp_path / "broken.yml"
    good.write_text(render("gitlab"))
    broken.write_text(render("gitlab").replace("  timeout: 45m", "  timeout: [45m]"))
    assert _validate(command, good).returncode == 0, _validate(command, good).stdout
    rejected = _validate(command, broken)
    assert rejected.returncode == 1 and "timeout" in rejected.stdout, rejected.stdout


@pytest.mark.skipif(not ACTIONLINT.exists() or not shutil.which("node"),
                    reason="actionlint (npm ci --prefix .ci) or node is missing")
def test_actionlint_accepts_the_workflow_and_rejects_a_broken_one(tmp_path: Path) -> None:
    command = ["node", str(ROOT / ".ci" / "actionlint.mjs")]
    good, broken = tmp_path / "good.yml", tmp_path / "broken.yml"
    good.write_text(render("github"))
    broken.write_text(render("github").replace("steps.scan.outcome", "steps.scam.outcome"))
    assert _validate(command, good).returncode == 0, _validate(command, good).stdout
    rejected = _validate(command, broken)
    assert rejected.returncode == 1 and "scam" in rejected.stdout, rejected.stdout


def _as_github_evaluates(value: str) -> str:
    """A value of the env block on a repository that set no secret and no variable."""
    match = re.fullmatch(r"\$\{\{ (?:secrets|vars)\.E2E_\w+(?: \|\| '([^']*)')? \}\}", value)
    return value if match is None else match.group(1) or ""


def test_a_repository_that_set_nothing_gets_the_defaults(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    """Unset secrets and variables reach the run as empty values: each must mean "not set"."""
    monkeypatch.chdir(tmp_path)  # no .env
    for name in list(os.environ):
        if name.startswith("E2E_"):
            monkeypatch.delenv(name)
    defaults = Settings().model_dump()
    env = _github(render("github"))["jobs"]["e2e"]["env"]  # type: ignore[index]
    for name, value in env.items():
        if name.startswith("E2E_"):
            monkeypatch.setenv(name, _as_github_evaluates(str(value)))
    assert Settings().model_dump() == {**defaults, "target": "myapp.toml"}
