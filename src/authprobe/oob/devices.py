"""Devices: browser contexts that reach the target from their own network address.

Against a target on this machine each device is real without any setup: the loopback range
127.0.0.0/8 has millions of addresses, and every device gets a SOCKS5 relay of its own (the
context's `proxy`) whose outgoing connections are bound to that device's 127.x.y.z, so the
target sees a different client address per device. Against staging, the settings name one
proxy per device and the address it leaves from (E2E_DEVICES).

Hand-written, and why: the relay must bind its outgoing side to a chosen source address per
listener. The maintained Python proxies (proxy.py, pproxy, mitmproxy) either cannot, or bring
a TLS-intercepting stack and an event loop of their own for what is 80 lines of RFC 1928
(no authentication, CONNECT only, IPv4 and domain addresses).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import socket
import struct
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from playwright.sync_api import ProxySettings
from pydantic import SecretStr

from authprobe.errors import ConfigError

SOCKS_VERSION = 5
NO_AUTH, NO_ACCEPTABLE = 0x00, 0xFF
CONNECT = 0x01
ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 0x01, 0x03, 0x04
REPLY_OK, REPLY_FAILURE, REPLY_COMMAND, REPLY_REFUSED = 0x00, 0x01, 0x07, 0x05
# Device addresses handed out on this machine: far from 127.0.0.1, where servers listen.
LOOPBACK_DEVICES = ipaddress.ip_network("127.77.0.0/16")


@dataclass(frozen=True)
class Device:
    name: str
    address: str  # the address the target sees
    proxy: str = field(repr=False)  # the context's proxy server (may carry credentials)

    def proxy_option(self) -> ProxySettings:
        """Playwright's `proxy` context option; credentials go in its own fields."""
        parts = urlsplit(self.proxy)
        server = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        if parts.username:
            return ProxySettings(server=server, username=parts.username, password=parts.password or "")
        return ProxySettings(server=server)


class DeviceSource(Protocol):
    def device(self, name: str, *, inside: Iterable[str] = (), outside: Iterable[str] = ()) -> Device:
        """A device in one of the `inside` networks (if given) and none of the `outside` ones."""

    def close(self) -> None: ...


def _nets(values: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(value, strict=False) for value in values]


def _fits(address: str, inside: Iterable[str], outside: Iterable[str]) -> bool:
    ip = ipaddress.ip_address(address)
    within, beyond = _nets(inside), _nets(outside)
    return (not within or any(ip in net for net in within)) and not any(ip in net for net in beyond)


class Socks5Relay:
    """A SOCKS5 server on 127.0.0.1 whose every outgoing connection leaves from `source`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"socks5-relay-{source}")
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> Socks5Relay:
        self._thread.start()
        started: Future[asyncio.Server] = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop)
        self._server = started.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            upstream = await self._handshake(reader, writer)
            if upstream is not None:
                up_reader, up_writer = upstream
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != SOCKS_VERSION or NO_AUTH not in methods:
            writer.write(bytes([SOCKS_VERSION, NO_ACCEPTABLE]))
            return None
        writer.write(bytes([SOCKS_VERSION, NO_AUTH]))
        _, command, _, atyp = await reader.readexactly(4)
        if atyp == ATYP_IPV4:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif atyp == ATYP_IPV6:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        elif atyp == ATYP_DOMAIN:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode("idna")
        else:
            return self._reply(writer, REPLY_FAILURE)
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != CONNECT:
            return self._reply(writer, REPLY_COMMAND)
        try:
            upstream = await asyncio.open_connection(host, port, local_addr=(self.source, 0))
        except OSError:
            return self._reply(writer, REPLY_REFUSED)
        self._reply(writer, REPLY_OK)
        return upstream

    @staticmethod
    def _reply(writer: asyncio.StreamWriter, code: int) -> None:
        writer.write(bytes([SOCKS_VERSION, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0]))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class LoopbackDevices:
    """Devices on this machine: one relay per device, each from its own 127.77.x.y."""

    def __init__(self) -> None:
        self._hosts = LOOPBACK_DEVICES.hosts()
        self._relays: list[Socks5Relay] = []

    def device(self, name: str, *, inside: Iterable[str] = (), outside: Iterable[str] = ()) -> Device:
        """A new device whose address lies in one of the `inside` networks (if any are given)
        and in none of the `outside` ones. Only loopback networks can be stood in here."""
        within = [net for net in _nets(inside) if net.network_address.is_loopback]
        if inside and not within:
            raise LookupError(f"a device on this machine can only leave from a loopback address, "
                              f"not from {list(inside)}: name a proxy per device in E2E_DEVICES")
        beyond = _nets(outside)
        candidates = self._hosts if not within else (host for net in within for host in net.hosts())
        for host in candidates:
            if not any(host in net for net in beyond) and not self._taken(str(host)):
                relay = Socks5Relay(str(host)).start()
                self._relays.append(relay)
                return Device(name, str(host), relay.url)
        raise LookupError(f"no loopback address is inside {list(inside)} and outside "
                          f"{list(outside)}: the profile's networks leave a device nowhere to stand")

    def _taken(self, address: str) -> bool:
        return address == "127.0.0.1" or any(relay.source == address for relay in self._relays)

    def close(self) -> None:
        for relay in self._relays:
            relay.stop()
        self._relays.clear()


class NamedDevices:
    """Devices against staging: the proxies E2E_DEVICES names, each used by one device a test."""

    def __init__(self, devices: list[Device]) -> None:
        self._devices = devices
        self._used: set[str] = set()

    def device(self, name: str, *, inside: Iterable[str] = (), outside: Iterable[str] = ()) -> Device:
        inside, outside = list(inside), list(outside)
        for device in self._devices:
            if device.address not in self._used and _fits(device.address, inside, outside):
                self._used.add(device.address)
                return Device(name, device.address, device.proxy)
        where = " and ".join(part for part in (inside and f"inside {inside}",
                                               outside and f"outside {outside}") if part)
        raise LookupError(f"E2E_DEVICES names no further device {where or 'at all'}: add a proxy "
                          "that leaves from such an address")

    def close(self) -> None:
        self._used.clear()


def parse_devices(value: SecretStr) -> list[Device]:
    """E2E_DEVICES: a JSON list of {"proxy", "address"}; problems in one sentence, no value echoed."""
    try:
        raw = json.loads(value.get_secret_value())
    except ValueError:
        raise ConfigError('E2E_DEVICES is not JSON; write [{"proxy": "socks5://host:port", '
                          '"address": "203.0.113.7"}, …].') from None
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError("E2E_DEVICES must be a JSON list of objects with \"proxy\" and \"address\".")
    devices = []
    for number, item in enumerate(raw, start=1):
        proxy, address = item.get("proxy"), item.get("address")
        if not isinstance(proxy, str) or urlsplit(proxy).scheme not in ("http", "https", "socks5"):
            raise ConfigError(f"E2E_DEVICES entry {number} needs a \"proxy\" URL starting with "
                              "http://, https:// or socks5://.")
        try:
            ipaddress.ip_address(str(address))
        except ValueError:
            raise ConfigError(f"E2E_DEVICES entry {number} needs an \"address\": the IP address the "
                              "app sees for requests through that proxy.") from None
        devices.append(Device(f"device {number}", str(address), proxy))
    return devices


def is_loopback_origin(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
