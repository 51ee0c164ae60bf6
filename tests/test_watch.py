"""EgressWatch and DataFlowLog against real Chromium and two loopback origins."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pydantic import SecretStr

from authprobe.errors import EgressViolation
from authprobe.security.watch import (
    DataFlowLog,
    EgressWatch,
    echoed,
    origin_of,
    tokens_in_urls,
    without_query,
)

pytestmark = pytest.mark.hygiene

CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run"]
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class Site:
    """A tiny HTTP server on one loopback address: path -> (content type, body)."""

    def __init__(self, host: str) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {"/pixel.png": ("image/png", PIXEL)}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                content_type, body = site.pages.get(self.path.split("?")[0], ("text/plain", b""))
                self.answer(content_type, body)

            def do_POST(self) -> None:
                sent = self.rfile.read(int(self.headers.get("content-length", "0")))
                echo = self.path.startswith("/echo")
                self.answer("application/json", sent if echo else b'{"ok": false}')

            def answer(self, content_type: str, body: bytes) -> None:
                self.send_response(200)
                self.send_header("content-type", content_type)
                self.send_header("access-control-allow-origin", "*")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.origin = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str, markup: str) -> str:
        self.pages[path] = ("text/html", markup.encode())
        return self.origin + path


@pytest.fixture(scope="module")
def app() -> Iterator[Site]:
    site = Site("127.0.0.1")
    yield site
    site.server.shutdown()


@pytest.fixture(scope="module")
def outside() -> Iterator[Site]:
    site = Site("127.0.0.2")
    yield site
    site.server.shutdown()


def launch_chromium() -> Iterator[Browser]:
    """The Debian Chromium through Playwright (its own browser builds cannot be downloaded here)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


chromium = pytest.fixture(scope="module")(launch_chromium)


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    ctx = chromium.new_context()
    yield ctx
    ctx.close()


def leaky_page(app: Site, outside: Site) -> str:
    """A page that loads an image and fetches twice from another origin, tokens in the query."""
    return app.page(
        "/leaky",
        f"""<img src="{outside.origin}/pixel.png?token=IMG-SECRET-1">
        <p id="done"></p>
        <script>
          const url = "{outside.origin}/data.json?session=FETCH-SECRET-2";
          Promise.all([fetch(url, {{cache: "no-store"}}), fetch(url, {{cache: "no-store"}})])
            .then(() => document.getElementById("done").textContent = "fetched");
        </script>""",
    )


def visit(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#done")).to_have_text("fetched")
    return page


def test_request_to_another_origin_fails_the_run(
    context: BrowserContext, app: Site, outside: Site
) -> None:
    watch = EgressWatch([app.origin])
    watch.attach(context)
    visit(context, leaky_page(app, outside))

    with pytest.raises(EgressViolation) as caught:
        watch.assert_clean()

    message = str(caught.value)
    assert f"{outside.origin}/pixel.png (1 request)" in message
    assert f"{outside.origin}/data.json (2 requests)" in message
    assert "SECRET" not in message, "query strings may hold tokens and must be stripped"
    assert isinstance(caught.value, AssertionError)


@pytest.mark.parametrize("allowed_by", ["origin", "host pattern"])
def test_allowed_origin_passes(
    context: BrowserContext, app: Site, outside: Site, allowed_by: str
) -> None:
    if allowed_by == "origin":
        watch = EgressWatch([app.origin, outside.origin])
    else:
        watch = EgressWatch([app.origin], allow_hosts=["127.0.0.*"])
    watch.attach(context)
    visit(context, leaky_page(app, outside))

    assert watch.assert_clean() == []
    assert any(url.startswith(outside.origin) for url in watch.seen), "the watch saw nothing"


def test_report_mode_returns_instead_of_raising(
    context: BrowserContext, app: Site, outside: Site
) -> None:
    watch = EgressWatch([app.origin], mode="report")
    watch.attach(context)
    visit(context, leaky_page(app, outside))

    reported = watch.assert_clean()
    assert sorted(without_query(url) for url in reported) == [
        f"{outside.origin}/data.json",
        f"{outside.origin}/data.json",
        f"{outside.origin}/pixel.png",
    ]


def test_ignored_schemes_and_host_patterns() -> None:
    watch = EgressWatch(["https://app.test"], allow_hosts=["*.cdn.test"])
    assert watch.allows("https://app.test:443/x")
    assert watch.allows("wss://app.test/socket")
    assert watch.allows("https://img.cdn.test/a.png")
    assert watch.allows("data:image/png;base64,AAAA")
    assert watch.allows("blob:https://app.test/1234")
    assert watch.allows("about:blank")
    assert not watch.allows("https://cdn.test/a.png"), "*.cdn.test does not cover cdn.test"
    assert not watch.allows("http://app.test/x"), "scheme is part of the origin"
    assert not watch.allows("https://app.test.evil.test/x")
    assert origin_of("HTTP://User:pw@App.Test:80/x") == "http://app.test"
    assert without_query("https://u:p@h.test:8443/a?token=1#f") == "https://h.test:8443/a"


def reset_page(app: Site, outside: Site, referrer_policy: str) -> str:
    return app.page(
        "/reset",
        f"""<meta name="referrer" content="{referrer_policy}">
        <img src="{outside.origin}/pixel.png" onload="document.getElementById('done')
          .textContent = 'fetched'">
        <p id="done"></p>""",
    )


@pytest.mark.parametrize(("policy", "leaks"), [("unsafe-url", True), ("no-referrer", False)])
def test_token_in_referer_to_another_origin_is_found(
    context: BrowserContext, app: Site, outside: Site, policy: str, leaks: bool
) -> None:
    log = DataFlowLog()
    log.attach(context)
    page = visit(context, reset_page(app, outside, policy) + "?token=RESET-TOKEN-42")
    page.wait_for_load_state("networkidle")

    found = tokens_in_urls(log, ["RESET-TOKEN-42"], app.origin)

    if leaks:
        assert found == [(f"{outside.origin}/pixel.png", "referer")]
    else:
        assert found == []


def test_token_in_url_to_another_origin_is_found_and_redacted(
    context: BrowserContext, app: Site, outside: Site
) -> None:
    log = DataFlowLog()
    log.attach(context)
    visit(context, leaky_page(app, outside)).wait_for_load_state("networkidle")

    assert tokens_in_urls(log, ["NOT-IN-ANY-URL"], app.origin) == []
    assert tokens_in_urls(log, ["IMG-SECRET-1"], app.origin) == [
        (f"{outside.origin}/pixel.png", "url")
    ]
    assert tokens_in_urls(log, ["pixel.png"], app.origin) == [(f"{outside.origin}/[token]", "url")]


def test_password_echoed_in_a_response_is_found(
    context: BrowserContext, app: Site, outside: Site
) -> None:
    password = SecretStr("correct-horse-9")
    url = app.page(
        "/login",
        """<p id="done"></p><script>
        const body = JSON.stringify({password: ["correct", "horse", "9"].join("-")});
        const post = (path) => fetch(path, {method: "POST", body});
        Promise.all([post("/echo"), post("/quiet")])
          .then(() => document.getElementById("done").textContent = "fetched");
        </script>""",
    )
    log = DataFlowLog()
    log.attach(context)
    visit(context, url).wait_for_load_state("networkidle")

    echoing = echoed(log, password)
    assert [without_query(e.url) for e in echoing] == [f"{app.origin}/echo"]
    assert json.loads(echoing[0].body or "") == {"password": "correct-horse-9"}
    assert echoing[0].status == 200
    assert echoing[0].request_headers.get("referer") == url
    assert "correct-horse-9" not in repr(echoing[0]), "bodies stay out of the repr"
    assert echoed(log, SecretStr("never-typed-password")) == []
