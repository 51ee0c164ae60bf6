"""Fixtures for devices with their own network address (src/authprobe/oob/devices.py): a loopback relay
per device against a target on this machine, or the proxies E2E_DEVICES names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pytest
from playwright.sync_api import BrowserContext

from authprobe.errors import ConfigError
from authprobe.oob.devices import (
    Device,
    DeviceSource,
    LoopbackDevices,
    NamedDevices,
    is_loopback_origin,
    parse_devices,
)
from authprobe.pacing import remember_address
from authprobe.plugin.runtime import stop_run
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.testing import DeviceContexts


@pytest.fixture(scope="session")
def authprobe_device_source(authprobe_settings: Settings,
                            authprobe_target: Target) -> Iterator[DeviceSource | None]:
    source: DeviceSource | None = None
    if authprobe_settings.devices is not None:
        try:
            source = NamedDevices(parse_devices(authprobe_settings.devices))
        except ConfigError as exc:
            stop_run(exc)
    elif is_loopback_origin(authprobe_target.base_url):
        source = LoopbackDevices()
    yield source
    if source is not None:
        source.close()


class ProxiedContexts(DeviceContexts):
    """Browser contexts that each reach the target from a device's own address, through the
    device's proxy (authprobe.testing.DeviceContexts)."""

    def __init__(self, source: DeviceSource | None, new_context: Callable[..., BrowserContext]) -> None:
        self._source, self._new_context = source, new_context

    def open(self, name: str, *, inside: Iterable[str] = (), outside: Iterable[str] = (),
             headers: dict[str, str] | None = None) -> tuple[Device, BrowserContext]:
        """A device whose address lies in one `inside` network (if given), in no `outside` one,
        and a browser context that leaves from it."""
        device = self.device(name, inside=inside, outside=outside)
        context = self._new_context(proxy=device.proxy_option(), extra_http_headers=headers or {})
        remember_address(context, device.address)  # its sign-ins draw from its own budget
        return device, context

    def device(self, name: str, *, inside: Iterable[str] = (), outside: Iterable[str] = ()) -> Device:
        """Such a device alone; the check skips, saying what to set, where none can be had."""
        if self._source is None:
            pytest.skip("the target is not on this machine and E2E_DEVICES names no devices: "
                        "name one proxy per device with the address it leaves from")
        try:
            return self._source.device(name, inside=inside, outside=outside)
        except LookupError as exc:
            pytest.skip(str(exc))

    def open_any(self, name: str) -> BrowserContext:
        """A device's context where devices can be had, else a plain one (this machine's address)."""
        if self._source is None:
            return self._new_context()
        try:
            device = self._source.device(name)
        except LookupError:
            return self._new_context()
        context = self._new_context(proxy=device.proxy_option())
        remember_address(context, device.address)
        return context


@pytest.fixture
def authprobe_devices(authprobe_device_source: DeviceSource | None,
                      new_context: Callable[..., BrowserContext]) -> DeviceContexts:
    return ProxiedContexts(authprobe_device_source, new_context)
