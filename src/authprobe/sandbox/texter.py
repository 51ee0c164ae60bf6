"""Outgoing text messages with Twilio's own client library, to the gateway the config names
(the sandbox's sink by default, src/authprobe/sandbox/smssink.py): the same REST call an app makes to Twilio.
The library blocks, so sends run in a worker thread."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from authprobe.sandbox.config import SandboxConfig


class Texter:
    """Sends one text through a gateway with Twilio's REST API (blocking: run in a thread)."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config

    @property
    def available(self) -> bool:
        return self._config.sms_api_url is not None

    def _send(self, to: str, body: str) -> None:
        from twilio.rest import Client  # noqa: PLC0415 (only texts need the library)

        cfg = self._config
        client = Client(cfg.sms_account_sid, cfg.sms_auth_token)
        client.api.base_url = cfg.sms_api_url or client.api.base_url
        client.messages.create(to=to, from_=cfg.sms_from, body=body)

    async def send(self, to: str, body: str) -> None:
        await run_in_threadpool(self._send, to, body)
