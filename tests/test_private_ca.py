"""A target, mail server and gateway behind a private CA (issue 27, item 3).

A real TLS front (trustme's CA and certificate, stdlib ssl) forwards bytes to a plain
upstream: a tiny web server, the mail sink, or a started sandbox. Without E2E_CA_BUNDLE
each client names the untrusted certificate in one sentence; with it, each gets through.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from pydantic import SecretStr

from authprobe.browser_config import load_browser_config
from authprobe.cli import doctor_checks
from authprobe.errors import ConfigError, MailConfigError, SmsConfigError
from authprobe.oob.mail import Inbox
from authprobe.oob.sms import Phone
from authprobe.plugin import browser as browser_plugin
from authprobe.profile import load_profile
from authprobe.settings import Settings, load_settings
from authprobe.target import httpget
from authprobe.target.app import Target, preflight
from authprobe.target.environment import started_sandbox, suite_env_for
from authprobe.tls import Trust, is_certificate_error
from tests.mailsink_fixture import RunningSink, running_mail_sink
from tests.webserver import serve

UNTRUSTED = "presents a certificate this machine does not trust"


@contextlib.contextmanager
def tls_front(cert: trustme.LeafCert, upstream_port: int) -> Iterator[int]:
    """TLS on a port of its own, the plain bytes to and from 127.0.0.1:`upstream_port`.

    On an asyncio loop in a thread: its TLS is one state machine per connection, where an
    SSLSocket read by one thread and written by another (one per direction) is not safe
    (OpenSSL's object is not thread-safe: under load the client now and then saw EOF)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    loop = asyncio.new_event_loop()
    # a client that refuses our certificate is what the tests expect: not an error to log
    loop.set_exception_handler(lambda _loop, _context: None)

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            if sink.can_write_eof():
                sink.write_eof()

    async def serve_one(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            upstream_in, upstream_out = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_out.close()
            return
        await asyncio.gather(pipe(client_in, upstream_out), pipe(upstream_in, client_out))
        for writer in (upstream_out, client_out):
            writer.close()

    server = loop.run_until_complete(
        asyncio.start_server(serve_one, "127.0.0.1", 0, ssl=context))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        async def close() -> None:
            server.close()
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "company-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in os.environ if name.startswith("E2E_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the repository


# --- settings -------------------------------------------------------------------------------

def test_a_bundle_that_is_missing_or_no_pem_is_refused_in_one_sentence(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bundle: str) -> None:
    monkeypatch.setenv("E2E_CA_BUNDLE", str(tmp_path / "nowhere.pem"))
    with pytest.raises(ConfigError, match=r"(?i)E2E_CA_BUNDLE .*cannot be read.*PEM file") as missing:
        load_settings()
    (tmp_path / "not.pem").write_text("just text\n")
    monkeypatch.setenv("E2E_CA_BUNDLE", str(tmp_path / "not.pem"))
    with pytest.raises(ConfigError, match=r"(?i)E2E_CA_BUNDLE .*holds no PEM certificate") as text:
        load_settings()
    for said in (str(missing.value), str(text.value)):
        assert "\n" not in said and "Traceback" not in said
    monkeypatch.setenv("E2E_CA_BUNDLE", bundle)
    settings = load_settings()
    assert settings.trust() == Trust(bundle, ignore=False)
    assert not settings.ignore_https_errors


def test_ignoring_certificate_errors_is_an_explicit_choice_said_once(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config) -> None:
    assert browser_plugin.pytest_report_header(pytestconfig) is None
    assert Settings().trust().ssl_context().verify_mode == ssl.CERT_REQUIRED
    monkeypatch.setenv("E2E_IGNORE_HTTPS_ERRORS", "true")
    said = browser_plugin.pytest_report_header(pytestconfig)
    assert said is not None and said.startswith("E2E_IGNORE_HTTPS_ERRORS is true: certificates")
    assert Settings().trust().ssl_context().verify_mode == ssl.CERT_NONE
    assert Settings().trust().requests_verify() is False


# --- preflight's HTTP, IMAP, the SMS gateway (no browser, no sandbox) -----------------------

def _target(base_url: str, trust: Trust) -> Target:
    return Target(base_url, "127.0.0.1", 1, "u", SecretStr("p"), False, "qa@example.test",
                  None, None, trust=trust)


def test_preflight_names_an_untrusted_certificate_and_trusts_the_bundle(
        leaf: trustme.LeafCert, bundle: str) -> None:
    profile = load_profile("sandbox")
    with serve({profile.session_probe.url: (200, "application/json", "{}")}) as plain, \
            tls_front(leaf, int(plain.rsplit(":", 1)[1])) as port:
        url = f"https://127.0.0.1:{port}"
        with pytest.raises(ConfigError) as refused:
            preflight(_target(url, Trust()), profile, 5.0)
        said = str(refused.value)
        assert UNTRUSTED in said and "set E2E_CA_BUNDLE" in said and url in said, said
        assert "E2E_IGNORE_HTTPS_ERRORS=true" in said
        trusted = _target(url, Trust(bundle))
        assert httpget.get(url + profile.session_probe.url, 5.0, tls=trusted.tls()).status == 200
        ignoring = _target(url, Trust(ignore=True))
        assert httpget.get(url + profile.session_probe.url, 5.0, tls=ignoring.tls()).status == 200


@pytest.fixture(scope="module")
def sink() -> Iterator[RunningSink]:
    with running_mail_sink() as running:
        yield running


def _tls_inbox(sink: RunningSink, port: int, trust: Trust) -> Inbox:
    return Inbox("127.0.0.1", port, sink.sink.imap_user, SecretStr(sink.sink.imap_password),
                 ssl=True, address_base="qa@sandbox.test", imap_timeout=5.0, trust=trust)


def test_imap_over_tls_verifies_the_certificate_with_the_bundle(
        sink: RunningSink, leaf: trustme.LeafCert, bundle: str) -> None:
    with tls_front(leaf, sink.sink.imap_port) as port:
        with pytest.raises(MailConfigError) as refused, _tls_inbox(sink, port, Trust()):
            pass
        said = str(refused.value)
        assert said.startswith("The IMAP server at 127.0.0.1:") and UNTRUSTED in said, said
        with _tls_inbox(sink, port, Trust(bundle)) as box:
            assert isinstance(box.supports_idle, bool)  # logged in over verified TLS


def test_the_sms_gateway_names_an_untrusted_certificate_and_trusts_the_bundle(
        leaf: trustme.LeafCert, bundle: str) -> None:
    with serve({}) as plain, tls_front(leaf, int(plain.rsplit(":", 1)[1])) as port:
        url = f"https://127.0.0.1:{port}"

        def check(trust: Trust) -> str:
            phone = Phone(url, "AC" + "0" * 32, SecretStr("t"), http_timeout=5.0, trust=trust)
            with pytest.raises(SmsConfigError) as failed:
                phone.check()
            return str(failed.value)

        untrusted = check(Trust())
        assert untrusted.startswith(f"The SMS gateway at {url}") and UNTRUSTED in untrusted
        assert "answered 404" in check(Trust(bundle))  # through TLS: the (plain) server's answer


# --- against a started sandbox behind the CA: doctor, admin API, one page (under the lock) ---

@pytest.fixture(scope="module")
def fronted(leaf: trustme.LeafCert) -> Iterator[tuple[Target, Target]]:
    """(the sandbox as started, the same sandbox reached over TLS with our certificate)."""
    sandbox = started_sandbox()
    try:
        with tls_front(leaf, int(sandbox.base_url.rsplit(":", 1)[1])) as port:
            yield sandbox, dataclasses.replace(sandbox, base_url=f"https://127.0.0.1:{port}",
                                               process=None)
    finally:
        sandbox.stop()


def test_preflight_passes_through_the_private_ca_with_the_bundle(
        fronted: tuple[Target, Target], bundle: str) -> None:
    _, https = fronted
    preflight(dataclasses.replace(https, trust=Trust(bundle)), load_profile("sandbox"), 5.0)


def test_doctor_names_the_certificate_and_is_green_with_the_bundle(
        fronted: tuple[Target, Target], bundle: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, https = fronted
    for name, value in suite_env_for(sandbox, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("E2E_BASE_URL", https.base_url)
    monkeypatch.chdir(tmp_path)

    def lines() -> dict[str, str]:
        return {result.name: result.line() for result in doctor_checks.diagnose()}

    without = lines()
    assert without["target"].startswith("✗ target: ") and UNTRUSTED in without["target"], without
    for check in ("session endpoint", "admin token", "hook token", "page login"):
        assert without[check].startswith("✗") and UNTRUSTED in without[check], without
    monkeypatch.setenv("E2E_CA_BUNDLE", bundle)
    trusted = lines()
    for check in ("target", "session endpoint", "admin token", "hook token", "page login"):
        assert trusted[check].startswith("✓"), trusted


def test_the_admin_api_and_a_page_load_trust_the_bundle(
        fronted: tuple[Target, Target], bundle: str, clean_env: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, https = fronted
    assert sandbox.admin_token is not None
    profile = load_profile("sandbox")
    assert profile.admin_api is not None
    path = profile.admin_api.delete_user.path.format(email=f"nobody-{secrets.token_hex(3)}@x.test")
    headers = {"Authorization": "Bearer " + sandbox.admin_token.get_secret_value()}

    def admin_call_and_page(launch_args: dict[str, list[str]]) -> tuple[str, str]:
        """What the admin API call and a page load got: a status, or the error's first line."""
        with sync_playwright() as playwright:
            api = playwright.request.new_context(base_url=https.base_url, timeout=5000)
            try:
                admin = str(api.delete(path, headers=headers).status)
            except PlaywrightError as exc:
                admin = str(exc).splitlines()[0]
            finally:
                api.dispose()
            options = load_browser_config().launch_options("chromium", None, playwright)
            chromium = playwright.chromium.launch(
                **{**options, "args": [*options.get("args", []), *launch_args.get("args", [])]})
            try:
                answer = chromium.new_page().goto(https.base_url + "/login")
                page = str(answer.status) if answer is not None else "no answer"
            except PlaywrightError as exc:
                page = str(exc).splitlines()[0]
            finally:
                chromium.close()
            return admin, page

    admin, page = admin_call_and_page({})
    assert is_certificate_error(admin) and is_certificate_error(page), (admin, page)

    monkeypatch.setenv("E2E_CA_BUNDLE", bundle)
    monkeypatch.setenv("E2E_BASE_URL", https.base_url)
    # a user's own extra CAs (this machine's store, say) are kept beside the bundle
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(Path(ssl.get_default_verify_paths().openssl_cafile)))
    browser_plugin.trust_private_ca()  # what the plugin's activation does before Playwright starts
    assert Path(bundle).read_text().strip() in Path(os.environ["NODE_EXTRA_CA_CERTS"]).read_text()
    launch = browser_plugin._trust_options(Settings(), "chromium")  # noqa: SLF001
    assert admin_call_and_page(launch) in (("204", "200"), ("404", "200"))


def test_authprobe_sweep_trusts_the_bundle_like_a_run(
        fronted: tuple[Target, Target], bundle: str, tmp_path: Path) -> None:
    """`authprobe sweep` starts its own Playwright: before, it never read E2E_CA_BUNDLE, and
    the admin API's user list failed on the certificate though the run itself got through."""
    sandbox, https = fronted
    env = {**suite_env_for(sandbox, tmp_path), "E2E_BASE_URL": https.base_url,
           "E2E_PROVISION": "admin_api"}
    env.pop("NODE_EXTRA_CA_CERTS", None)

    def sweep(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "authprobe.cli", "sweep"], cwd=tmp_path,
                              env={**env, **extra}, capture_output=True, text=True, timeout=60)

    untrusted = sweep()
    said = untrusted.stdout + untrusted.stderr
    assert untrusted.returncode == 2 and "certificate" in said and "Traceback" not in said, said
    trusted = sweep(E2E_CA_BUNDLE=bundle)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "authprobe sweep: 0 of 0 user(s) removed" in trusted.stdout
    assert sandbox.admin_token is not None
    for done in (untrusted, trusted):
        assert sandbox.admin_token.get_secret_value() not in done.stdout + done.stderr
