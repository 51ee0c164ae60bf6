"""[sso] as a team's staging has it: doctor judges the IdP's discovery document and the section
in one line each, a wrong E2E_IDP_URL stops the run in one sentence, and with a pool of
identities that exist already (no admin API, no hooks: creating IdP users is not allowed) the
checks that need nothing more run, the others skip naming what they need.

Real processes: the sandbox with its IdP (--idp), `authprobe doctor` and pytest in a child."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("oauth2_provider", reason="the built-in IdP needs django-oauth-toolkit")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    target = started_sandbox("--idp")
    assert target.idp_url, "the sandbox started without its identity provider"
    yield target
    target.stop()


def _doctor(env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "authprobe.cli", "doctor"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def test_doctor_reads_the_discovery_document_and_judges_the_section(sandbox: Target, tmp_path: Path) -> None:
    code, out = _doctor(suite_env_for(sandbox, tmp_path))
    assert re.search(rf"✓ IdP discovery: issuer {re.escape(str(sandbox.idp_url))}/o: authorize, token "
                     r"and JWKS endpoints, end_session \S+", out), out
    assert "✓ [sso]: authprobe-id: identities from its admin API and test hooks" in out, out
    assert code == 0, out


def test_a_wrong_idp_url_is_one_line_in_doctor_and_stops_the_run(sandbox: Target, tmp_path: Path) -> None:
    env = suite_env_for(sandbox, tmp_path, E2E_IDP_URL="http://127.0.0.1:9")
    code, out = _doctor(env)
    assert code == 1 and ("✗ IdP discovery: The identity provider's discovery document "
                          "http://127.0.0.1:9/o/.well-known/openid-configuration does not answer") in out, out
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "e2e/test_sso.py", "-k", "agrees",
                           "--browser", "chromium", "-q", "-p", "no:randomly"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    said = [line for line in (done.stdout + done.stderr).splitlines() if "authprobe:" in line]
    assert done.returncode == 3 and time.monotonic() - started < 15, done.stdout[-2000:]
    assert any("does not answer" in line and "E2E_IDP_URL" in line for line in said), said
    assert "Traceback" not in done.stdout + done.stderr


def _staging_profile(tmp: Path) -> Path:
    """The sandbox's profile as a staging IdP allows it: identities from a pool, no admin API,
    no hooks."""
    text = (ROOT / "targets" / "sandbox.toml").read_text(encoding="utf-8")
    for table in ("[sso.admin_api]", "[sso.hooks]"):
        start = text.index(table)
        text = text[:start] + text[text.index("\n\n", start) + 2:]
    assert text.count("\n[sso]\n") == 1
    text = text.replace("\n[sso]\n", '\n[sso]\nusers = "pool"\n')
    text = text.replace('name = "sandbox"', 'name = "staging_sso"')
    path = tmp / "staging.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _identities(target: Target, count: int) -> list[dict[str, str]]:
    """Identities the IdP's owners made (here through its admin API, before the run)."""
    assert target.idp_admin_token is not None
    made = []
    for index in range(count):
        identity = {"email": f"pool-{index}-{secrets.token_hex(4)}@idp.test",
                    "password": secrets.token_urlsafe(18)}
        request = urllib.request.Request(
            f"{target.idp_url}/api/admin/users", method="POST",
            data=json.dumps({**identity, "email_verified": True}).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {target.idp_admin_token.get_secret_value()}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
        made.append(identity)
    return made


STAGING_OUTCOMES = {
    "test_sso_sign_in_agrees_on_who_how_and_roles": "passed",
    "test_callback_refuses_missing_or_wrong_state_and_a_replayed_code": "passed",
    "test_an_id_token_with_another_nonce_is_refused": "passed",
    "test_sign_out_ends_the_app_session_and_the_idp_session_as_promised": "passed",
    # what a pool cannot give (an identity of a chosen address, unverified) and an IdP without
    # admin API or hooks cannot do: skipped, each naming what it needs
    "test_an_unverified_idp_email_never_takes_over_a_local_account": "skipped",
    "test_a_faulty_id_token_is_refused[audience]": "skipped",
    "test_a_faulty_id_token_is_refused[signature]": "skipped",
    "test_a_faulty_id_token_is_refused[issuer]": "skipped",
    "test_a_faulty_id_token_is_refused[expired]": "skipped",
    "test_revocation_at_the_idp_ends_the_app_session_in_time[sign_out_user]": "skipped",
    "test_revocation_at_the_idp_ends_the_app_session_in_time[disable_user]": "skipped",
    "test_idp_key_rotation_keeps_sign_in_and_refresh_and_retired_keys_are_refused": "skipped",
    "test_idp_down_at_the_callback_leaves_nobody_half_signed_in": "skipped",
}


@pytest.mark.whole_runs
def test_a_pool_of_identities_runs_the_checks_staging_allows(sandbox: Target, tmp_path: Path) -> None:
    env = suite_env_for(sandbox, tmp_path, E2E_TARGET=str(_staging_profile(tmp_path)),
                        E2E_SSO_POOL=json.dumps(_identities(sandbox, 2)), E2E_KEEP_ARTIFACTS="never")
    for token in ("E2E_IDP_ADMIN_TOKEN", "E2E_IDP_HOOK_TOKEN"):
        env.pop(token, None)
    junit = tmp_path / "sso.xml"
    done = subprocess.run([sys.executable, "-m", "pytest", "e2e/test_sso.py", "--browser", "chromium",
                           "-q", "-n", "2", "-p", "no:randomly", "-rs", f"--junitxml={junit}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    found = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        name = re.sub(r"\[chromium-?", "[", case.get("name", "")).replace("[]", "")
        bad = case.find("failure") is not None or case.find("error") is not None
        found[name] = "failed" if bad else "skipped" if case.find("skipped") is not None else "passed"
    assert found == STAGING_OUTCOMES, done.stdout[-3000:]
    assert done.returncode == 0 and os.environ.get("E2E_SSO_POOL") is None, done.stdout[-2000:]
