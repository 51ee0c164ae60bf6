"""Devices with their own address (src/authprobe/oob/devices.py): two browser contexts reach a real
sandbox from two addresses, as the sandbox sees them; E2E_DEVICES is read and picked from."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Playwright
from pydantic import SecretStr

from authprobe.errors import ConfigError
from authprobe.oob.devices import LoopbackDevices, NamedDevices, is_loopback_origin, parse_devices
from authprobe.target.environment import started_sandbox


def test_two_devices_reach_the_sandbox_from_their_own_addresses(
    chromium: tuple[Playwright, Browser],
) -> None:
    _, browser = chromium
    target = started_sandbox()
    devices = LoopbackDevices()
    try:
        seen = []
        for name in ("phone", "laptop"):
            device = devices.device(name)
            context = browser.new_context(base_url=target.base_url, proxy=device.proxy_option())
            page = context.new_page()
            page.goto("/login")  # a page through the relay, then the backend's view of it
            answer = page.evaluate("fetch('/api/session').then((r) => r.json())")
            seen.append((device.address, answer["client_address"]))
            context.close()
        plain = browser.new_context(base_url=target.base_url)
        direct = plain.request.get("/api/session").json()["client_address"]
        plain.close()
    finally:
        devices.close()
        target.stop()
    assert [address for address, _ in seen] == [sandbox for _, sandbox in seen], seen
    assert len({sandbox for _, sandbox in seen} | {direct}) == 3, (seen, direct)
    assert direct == "127.0.0.1"


def test_a_device_inside_a_loopback_network_or_outside_given_ones() -> None:
    devices = LoopbackDevices()
    try:
        inside = devices.device("inside", inside=["127.0.0.0/16"])
        outside = devices.device("outside", outside=["127.0.0.0/16"])
        assert inside.address.startswith("127.0.") and inside.address != "127.0.0.1"
        assert not outside.address.startswith("127.0.")
        with pytest.raises(LookupError, match="only leave from a loopback address"):
            devices.device("office", inside=["10.0.0.0/8"])
    finally:
        devices.close()


def test_named_devices_are_picked_by_network_and_each_used_once() -> None:
    listed = parse_devices(SecretStr(
        '[{"proxy": "socks5://10.0.0.5:1080", "address": "198.51.100.7"},'
        ' {"proxy": "http://u:p@10.0.0.6:3128", "address": "10.20.1.9"}]'))
    named = NamedDevices(listed)
    assert named.device("in", inside=["10.20.0.0/16"]).address == "10.20.1.9"
    assert named.device("out", outside=["10.20.0.0/16"]).address == "198.51.100.7"
    with pytest.raises(LookupError, match="E2E_DEVICES names no further device outside"):
        named.device("again", outside=["10.20.0.0/16"])
    assert listed[1].proxy_option() == {"server": "http://10.0.0.6:3128", "username": "u", "password": "p"}


@pytest.mark.parametrize(("value", "says"), [
    ("not json", "E2E_DEVICES is not JSON"),
    ('{"proxy": "socks5://h:1"}', "must be a JSON list"),
    ('[{"proxy": "ftp://h:1", "address": "10.0.0.1"}]', 'entry 1 needs a "proxy" URL'),
    ('[{"proxy": "socks5://secret-host:1", "address": "nowhere"}]', 'entry 1 needs an "address"'),
])
def test_bad_device_settings_are_one_sentence_without_the_value(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as raised:
        parse_devices(SecretStr(value))
    assert "secret-host" not in str(raised.value)


def test_only_loopback_origins_get_loopback_devices() -> None:
    assert is_loopback_origin("http://127.0.0.1:8000") and is_loopback_origin("http://localhost")
    assert not is_loopback_origin("https://staging.example.com")
