"""A loopback stand-in for Meta's Graph API (WhatsApp Cloud API), for tests and benchmarks.

A real HTTP server on 127.0.0.1 (port 0 = ephemeral) that answers the calls Alfred makes the way Meta
does, records every request, and can be scripted to fail:

    with GraphAPIStandIn() as graph:
        settings.WHATSAPP_API_BASE = graph.url
        graph.script_sends(graph_error(130429), graph_error(131047))  # the next two sends fail
        ...
        graph.sends()  # JSON bodies of the messages Alfred sent

Endpoints: ``POST /v{version}/{phone_id}/messages`` (sends, reactions, templates, read receipts),
``GET /v{version}/{media_id}`` (media URL, pointing back at this server) and ``GET /media/{media_id}``.

Delivery reports: with ``graph.report_sends(post)``, every send the stand-in accepts is followed, as Meta
does it, by a "sent" status webhook body (with the send's ``biz_opaque_callback_data``) handed to ``post``,
from the serving thread once the answer has been written; ``post`` signs and delivers it.

Tokens: with ``graph.app(app_id, app_secret)`` and ``graph.issue_token(token, expires_in=…)``, the stand-in
answers ``GET /v{version}/debug_token`` (the token's validity, issue and expiry times, checked with the app
token ``app_id|app_secret``) and ``GET /v{version}/oauth/access_token?grant_type=fb_exchange_token`` (a new
long-lived token for a valid one, with the app id and secret), as Meta documents them. Exchanges are
recorded in ``graph.exchanges``.
"""

import dataclasses
import itertools
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

MESSAGES_PATH = re.compile(r"^/v[\d.]+/(?P<phone_id>[^/]+)/messages$")
MEDIA_INFO_PATH = re.compile(r"^/v[\d.]+/(?P<media_id>[^/]+)$")
MEDIA_FILE_PATH = re.compile(r"^/media/(?P<media_id>[^/]+)$")
DEBUG_TOKEN_PATH = re.compile(r"^/v[\d.]+/debug_token$")
EXCHANGE_PATH = re.compile(r"^/v[\d.]+/oauth/access_token$")
# What Meta gives a long-lived user token: about 60 days.
LONG_LIVED_SECONDS = 60 * 24 * 3600


@dataclass
class Reply:
    """A scripted answer. ``body=None`` is Meta's usual answer for the request; ``delay`` holds the answer
    back (read timeouts); ``drop`` closes the connection after reading the request, without answering (the
    request did reach the server)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


def graph_error(
    code: int,
    message: str = "",
    *,
    status: int = 400,
    title: str = "",
    transient: bool | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error answer in Meta's shape: ``{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}``."""
    error: dict[str, Any] = {
        "message": message or f"(#{code}) {title or 'Error'}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": title or message or "error"},
        "fbtrace_id": "AbCdEfGh123",
    }
    if transient is not None:
        error["is_transient"] = transient
    return Reply(status=status, body={"error": error}, headers=headers or {})


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    answered: int = 0

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def is_send(self) -> bool:
        """A message (text, interactive, template, reaction), not a read receipt."""
        body = self.json
        return (
            self.method == "POST" and bool(MESSAGES_PATH.match(self.path)) and isinstance(body, dict) and "type" in body
        )


class GraphAPIStandIn:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self._send_script: deque[Reply] = deque()
        self._other_script: deque[tuple[Callable[[Recorded], bool], Reply]] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        # token → (issued_at, expires_at; 0 = never), and the app the tokens belong to.
        self.tokens: dict[str, tuple[int, int]] = {}
        self.app_id = ""
        self.app_secret = ""
        self.exchanges: list[Recorded] = []
        self._report_sent: Callable[[dict[str, Any]], None] | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="graph-standin", daemon=True
        )

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> "GraphAPIStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "GraphAPIStandIn":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # --- scripting -----------------------------------------------------------------------------------
    def script_sends(self, *replies: Reply) -> None:
        """The next sends get these answers, in order; later sends succeed."""
        with self._lock:
            self._send_script.extend(replies)

    def script(self, when: Callable[[Recorded], bool], reply: Reply) -> None:
        """The next request matching ``when`` (that is not a send) gets ``reply``."""
        with self._lock:
            self._other_script.append((when, reply))

    def app(self, app_id: str, app_secret: str) -> None:
        self.app_id, self.app_secret = app_id, app_secret

    def report_sends(self, post: Callable[[dict[str, Any]], None]) -> None:
        """Hand ``post`` a "sent" status webhook body for every send accepted from now on."""
        self._report_sent = post

    def issue_token(self, token: str, *, expires_in: int | None = LONG_LIVED_SECONDS, age: int = 0) -> None:
        """A token this stand-in accepts, issued ``age`` seconds ago; ``expires_in=None`` = never expires."""
        now = int(time.time())
        with self._lock:
            self.tokens[token] = (now - age, 0 if expires_in is None else now - age + expires_in)

    def add_media(self, media_id: str, content: bytes, mime_type: str) -> None:
        self.media[media_id] = (content, mime_type)

    # --- what happened -------------------------------------------------------------------------------
    def sends(self, *, answered: int | None = 200) -> list[dict[str, Any]]:
        """JSON bodies of the sends received (by default: those answered 200, i.e. accepted)."""
        with self._lock:
            return [r.json for r in self.requests if r.is_send and (answered is None or r.answered == answered)]

    def read_receipts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                r.json for r in self.requests if r.method == "POST" and not r.is_send and "status" in (r.json or {})
            ]

    def wait_for_sends(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.sends()
            if len(sent) >= count:
                return sent
            time.sleep(0.05)
        return self.sends()

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- serving -------------------------------------------------------------------------------------
    def _next_reply(self, recorded: Recorded) -> Reply:
        scripted: Reply | None = None
        with self._lock:
            self.requests.append(recorded)
            if recorded.is_send and self._send_script:
                scripted = self._send_script.popleft()
            else:
                for index, (when, reply) in enumerate(self._other_script):
                    if when(recorded):
                        del self._other_script[index]
                        scripted = reply
                        break
        default = self._default(recorded)
        if scripted is None:
            return default
        if scripted.body is None:  # a scripted delay/drop/status with Meta's usual answer
            scripted = dataclasses.replace(scripted, body=default.body)
        return scripted

    def _default(self, recorded: Recorded) -> Reply:
        if recorded.method == "GET" and DEBUG_TOKEN_PATH.match(recorded.path):
            return self._debug_token(recorded)
        if recorded.method == "GET" and EXCHANGE_PATH.match(recorded.path):
            return self._exchange(recorded)
        if recorded.method == "POST" and MESSAGES_PATH.match(recorded.path):
            body = recorded.json or {}
            if not recorded.is_send:  # read receipt / typing indicator
                return Reply(body={"success": True})
            recipient = body.get("to") or body.get("recipient")
            key = "wa_id" if body.get("to") else "user_id"
            return Reply(
                body={
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": recipient, key: recipient}],
                    "messages": [{"id": f"wamid.standin.{next(self._ids)}"}],
                }
            )
        if recorded.method == "GET" and (match := MEDIA_FILE_PATH.match(recorded.path)):
            media = self.media.get(match["media_id"])
            if media is None:
                return graph_error(100, "media not found", status=404)
            return Reply(body=media[0], headers={"Content-Type": media[1]})
        if recorded.method == "GET" and (match := MEDIA_INFO_PATH.match(recorded.path)):
            media = self.media.get(match["media_id"])
            if media is None:
                return graph_error(100, "Unsupported get request", status=400)
            return Reply(
                body={
                    "messaging_product": "whatsapp",
                    "url": f"{self.url}/media/{match['media_id']}",
                    "mime_type": media[1],
                    "sha256": "0" * 64,
                    "file_size": len(media[0]),
                    "id": match["media_id"],
                }
            )
        return graph_error(100, f"Unknown path {recorded.path}", status=404)

    def _sent_status(self, recorded: Recorded, reply: Reply) -> dict[str, Any] | None:
        """The status webhook Meta posts once it has accepted a send; None for an answer that accepted none."""
        send, answer = recorded.json, reply.body
        if not isinstance(answer, dict) or not answer.get("messages"):
            return None
        status: dict[str, Any] = {
            "id": answer["messages"][0]["id"],
            "status": "sent",
            "timestamp": str(int(time.time())),
            "recipient_id": send.get("to") or send.get("recipient") or "",
        }
        if "biz_opaque_callback_data" in send:
            status["biz_opaque_callback_data"] = send["biz_opaque_callback_data"]
        match = MESSAGES_PATH.match(recorded.path)
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "", "phone_number_id": match["phone_id"] if match else ""},
            "statuses": [status],
        }
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "0", "changes": [{"value": value, "field": "messages"}]}],
        }

    def _query(self, recorded: Recorded, name: str) -> str:
        return (recorded.query.get(name) or [""])[0]

    def _token_alive(self, token: str) -> bool:
        issued = self.tokens.get(token)
        return issued is not None and (issued[1] == 0 or issued[1] > time.time())

    def _debug_token(self, recorded: Recorded) -> Reply:
        if not self.app_id or self._query(recorded, "access_token") != f"{self.app_id}|{self.app_secret}":
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token", status=400)
        token = self._query(recorded, "input_token")
        with self._lock:
            issued = self.tokens.get(token)
            alive = self._token_alive(token)
        data: dict[str, Any] = {"app_id": self.app_id, "type": "USER", "application": "Alfred", "is_valid": alive}
        if issued is None:
            data["error"] = {"code": 190, "message": "Invalid OAuth access token."}
        else:
            data.update(issued_at=issued[0], expires_at=issued[1], data_access_expires_at=issued[0] + 90 * 86400)
            data["scopes"] = ["whatsapp_business_messaging", "whatsapp_business_management"]
        return Reply(body={"data": data})

    def _exchange(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.exchanges.append(recorded)
        if self._query(recorded, "grant_type") != "fb_exchange_token":
            return graph_error(100, "Invalid grant_type", status=400)
        if self._query(recorded, "client_id") != self.app_id or self._query(recorded, "client_secret") != (
            self.app_secret
        ):
            return graph_error(1, "Error validating client secret.", status=400)
        with self._lock:
            if not self._token_alive(self._query(recorded, "fb_exchange_token")):
                return graph_error(190, "Error validating access token: Session has expired", status=400)
            token = f"EAAstandin{next(self._ids)}"
            now = int(time.time())
            self.tokens[token] = (now, now + LONG_LIVED_SECONDS)
        return Reply(body={"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # quiet test output
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = standin._next_reply(recorded)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body or {}).encode()
                recorded.answered = reply.status
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.headers.get("Content-Type", "application/json"))
                    for name, value in reply.headers.items():
                        if name.lower() != "content-type":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (timeouts)
                    self.close_connection = True
                # Meta reports a send it accepted whether or not its answer reached the sender.
                if standin._report_sent is not None and recorded.is_send and reply.status == 200:
                    if (status := standin._sent_status(recorded, reply)) is not None:
                        standin._report_sent(status)

            do_GET = _serve
            do_POST = _serve
            do_DELETE = _serve

        return Handler
