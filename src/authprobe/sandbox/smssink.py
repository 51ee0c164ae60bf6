"""SMS sink: a local gateway that speaks Twilio's Messages REST API and keeps what it is sent.

Apps send texts with Twilio's client (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form
fields To, From, Body, HTTP Basic auth with the account SID and its token), and the harness
reads them back from the account's message list, as it would from a real gateway: list
(filtered by To and From, newest first, paged), fetch and delete one message. Nothing leaves
the machine. Errors answer in Twilio's JSON shape with its error codes, so a client library
raises what it would raise against Twilio.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import re
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authprobe.sandbox.quiet_server import QuietServer

__all__ = ["SmsSink"]

API = "/2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_BODY = 1600  # Twilio's limit for one message's body
MAX_PAGE = 1000


@dataclass
class _Message:
    sid: str
    account_sid: str
    to: str
    sender: str
    body: str
    created: datetime
    order: int = field(default=0)

    def resource(self) -> dict[str, object]:
        stamp = format_datetime(self.created)  # Twilio's dates are RFC 2822
        uri = f"{API}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "api_version": "2010-04-01",
            "to": self.to, "from": self.sender, "body": self.body, "status": "delivered",
            "direction": "outbound-api", "num_segments": str(len(self.body) // 153 + 1),
            "num_media": "0", "price": None, "price_unit": "USD", "error_code": None,
            "error_message": None, "messaging_service_sid": None,
            "date_created": stamp, "date_sent": stamp, "date_updated": stamp, "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "status": status,
                         "more_info": f"https://www.twilio.com/docs/errors/{code}"}, status)


class _Gateway:
    """The messages of one account, and the routes that read and write them."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self._token = auth_token
        self._messages: dict[str, _Message] = {}
        self._sent = 0

    def _authorised(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (hmac.compare_digest(user, self.account_sid)
                and hmac.compare_digest(password, self._token)
                and request.path_params["account"] == self.account_sid)

    async def messages(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        if request.method == "POST":
            return await self._create(request)
        return self._list(request)

    async def _create(self, request: Request) -> Response:
        fields = await request.form()
        to, sender = str(fields.get("To") or ""), str(fields.get("From") or "")
        body = str(fields.get("Body") or "")
        if not E164.match(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not sender and not fields.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required "
                                      "to send a message")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        self._sent += 1
        message = _Message("SM" + secrets.token_hex(16), self.account_sid, to, sender, body,
                           datetime.now(UTC), self._sent)
        self._messages[message.sid] = message
        return JSONResponse(message.resource(), 201)

    def _list(self, request: Request) -> Response:
        query = request.query_params
        try:
            size = min(max(int(query.get("PageSize", "50")), 1), MAX_PAGE)
            page = max(int(query.get("Page", "0")), 0)
        except ValueError:
            return _error(400, 20001, "PageSize and Page must be numbers")
        found = [m for m in self._messages.values()
                 if query.get("To") in (None, m.to) and query.get("From") in (None, m.sender)]
        found.sort(key=lambda m: m.order, reverse=True)  # Twilio lists the newest first
        shown = found[page * size:(page + 1) * size]
        base = f"{API}/Accounts/{self.account_sid}/Messages.json"
        kept = {k: v for k, v in query.items() if k in ("To", "From")}

        def uri(number: int) -> str:
            return f"{base}?{urlencode({**kept, 'PageSize': size, 'Page': number})}"

        more = (page + 1) * size < len(found)
        return JSONResponse({
            "messages": [m.resource() for m in shown], "page": page, "page_size": size,
            "start": page * size, "end": page * size + max(len(shown) - 1, 0),
            "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page else None,
        })

    async def message(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        sid = request.path_params["sid"]
        found = self._messages.get(sid)
        if found is None:
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")
        if request.method == "DELETE":
            del self._messages[sid]
            return Response(status_code=204)
        return JSONResponse(found.resource())


class SmsSink:
    """The gateway on its own port, in the caller's asyncio loop: start(), then stop()."""

    def __init__(self, host: str, port: int, account_sid: str, auth_token: str) -> None:
        self.host = host
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._gateway = _Gateway(account_sid, auth_token)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        account = f"{API}/Accounts/{{account}}"
        app = Starlette(routes=[
            Route(f"{account}/Messages.json", self._gateway.messages, methods=["GET", "POST"]),
            Route(f"{account}/Messages/{{sid}}.json", self._gateway.message,
                  methods=["GET", "DELETE"]),
        ])
        self._server = QuietServer(uvicorn.Config(app, log_level="warning", access_log=False,
                                             lifespan="off", timeout_graceful_shutdown=1))
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()  # raise what stopped it

    async def stop(self) -> None:
        if self._task is not None:
            self._server.should_exit = True
            await self._task
            self._task = None
        self._sock.close()
