"""A loopback stand-in for Slack's Web API and response URLs, for tests and benchmarks.

A real HTTP server on 127.0.0.1 (port 0 = ephemeral) answering the way Slack does: ``POST /api/<method>``
with a JSON or form body and ``Authorization: Bearer <token>``, answered ``{"ok": true, …}`` or
``{"ok": false, "error": "<code>"}`` (HTTP 200, or 429 with ``Retry-After`` for rate limits); and
``POST /hooks/<path>`` standing in for a slash command's ``response_url`` (answered ``ok``). It records
every request and can be scripted to fail:

    with SlackAPIStandIn() as slack:
        settings.SLACK_API_BASE = slack.api_base
        slack.script("chat.postMessage", slack_error("ratelimited", status=429, headers={"Retry-After": "7"}))
        ...
        slack.calls("chat.postMessage")  # the arguments of each accepted call

Methods: ``chat.postMessage`` (a user id as channel opens the app's DM with them: answered with a "D…"
channel), ``reactions.add`` (``already_reacted`` the second time), ``auth.test``, and ``oauth.v2.access``
with ``grant_type=refresh_token`` (token rotation, after ``slack.rotation(client_id, client_secret,
refresh_token)``): the app's id and secret as HTTP Basic or in the form, each refresh token good once (a
second use is ``invalid_refresh_token``, as slack-bolt issue 663 saw), answered with a new access token
(accepted from then on, alongside the old ones until they would expire) and a new refresh token; and
``apps.connections.open`` (Socket Mode, after ``slack.socket_mode(socket_standin, app_token)``): the app-level
token as Bearer (anything else is ``invalid_auth``), answered with a new single-use WebSocket URL of the
Socket Mode stand-in (``tests/standins/slack_socket.py``).
"""

import base64
import itertools
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

TEAM_ID = "T0001"
BOT_USER_ID = "U0LAN0Z89"
# Slack's rotating access tokens live 12 hours.
ROTATED_TOKEN_SECONDS = 12 * 3600


class SocketServer(Protocol):
    def issue_url(self) -> str: ...


@dataclass
class Reply:
    """A scripted answer; ``body=None`` is Slack's usual answer. ``delay`` holds it back (read timeouts);
    ``drop`` closes the connection after reading the request (it did reach the server)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


def slack_error(code: str, *, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body={"ok": False, "error": code}, headers=headers or {})


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int = 0
    answer: Any = None

    @property
    def api_method(self) -> str:
        return self.path.rsplit("/", 1)[-1] if self.path.startswith("/api/") else ""

    @property
    def arguments(self) -> dict[str, Any]:
        """The call's arguments, from JSON (as slack_sdk sends chat.postMessage) or a form (reactions.add)."""
        text = self.body.decode("utf-8") if self.body else ""
        if "json" in self.headers.get("content-type", ""):
            return json.loads(text) if text else {}
        return dict(parse_qsl(text))


class SlackAPIStandIn:
    def __init__(self, *, token: str = "") -> None:
        self.token = token
        # Rotated access tokens accepted besides ``token``; refresh tokens not spent yet.
        self.tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.client_id = ""
        self.client_secret = ""
        self.app_token = ""
        self.socket_server: SocketServer | None = None
        self.requests: list[Recorded] = []
        self._script: deque[tuple[str, Reply]] = deque()
        self._ts = itertools.count(1)
        self._reactions: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> "SlackAPIStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "SlackAPIStandIn":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base(self) -> str:
        """What ``SLACK_API_BASE`` is set to: slack_sdk appends the method name to it."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "1234/5678") -> str:
        return f"{self.url}/hooks/commands/{name}"

    # --- scripting -----------------------------------------------------------------------------------
    def script(self, method: str, *replies: Reply) -> None:
        """The next calls of ``method`` ("chat.postMessage", "reactions.add", "hooks") get these answers."""
        with self._lock:
            self._script.extend((method, reply) for reply in replies)

    def rotation(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        """Token rotation on: the app's credentials and the refresh token handed out with the first token."""
        with self._lock:
            self.client_id, self.client_secret = client_id, client_secret
            self.refresh_tokens.add(refresh_token)

    def socket_mode(self, server: SocketServer, app_token: str) -> None:
        """Socket Mode on: ``apps.connections.open`` with ``app_token`` hands out ``server``'s URLs."""
        with self._lock:
            self.socket_server, self.app_token = server, app_token

    # --- what happened -------------------------------------------------------------------------------
    def calls(self, method: str, *, answered: int | None = 200, ok: bool = True) -> list[dict[str, Any]]:
        """Arguments of the calls of ``method`` (default: those Slack accepted); "hooks" = response_url posts."""
        with self._lock:
            found = []
            for recorded in self.requests:
                name = "hooks" if recorded.path.startswith("/hooks/") else recorded.api_method
                accepted = recorded.answered == 200 and (name == "hooks" or (recorded.answer or {}).get("ok"))
                if name == method and (answered is None or (recorded.answered == answered and accepted == ok)):
                    found.append(json.loads(recorded.body) if name == "hooks" else recorded.arguments)
            return found

    def wait_for(self, method: str, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.calls(method)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- serving -------------------------------------------------------------------------------------
    def _next_reply(self, recorded: Recorded) -> Reply:
        name = "hooks" if recorded.path.startswith("/hooks/") else recorded.api_method
        with self._lock:
            self.requests.append(recorded)
            for index, (method, reply) in enumerate(self._script):
                if method == name:
                    del self._script[index]
                    return reply
        return self._default(recorded, name)

    def _default(self, recorded: Recorded, name: str) -> Reply:
        if recorded.method != "POST":
            return Reply(status=405, body={"ok": False, "error": "method_not_allowed"})
        if name == "hooks":
            return Reply(body=b"ok", headers={"Content-Type": "text/html"})
        arguments = recorded.arguments
        if name == "oauth.v2.access":
            return self._oauth_v2_access(recorded, arguments)
        bearer = recorded.headers.get("authorization", "").removeprefix("Bearer ")
        if name == "apps.connections.open":
            if self.socket_server is None:
                return slack_error("unknown_method", status=404)
            if not bearer.startswith("xapp-"):
                return slack_error("not_allowed_token_type")
            if bearer != self.app_token:
                return slack_error("invalid_auth")
            return Reply(body={"ok": True, "url": self.socket_server.issue_url()})
        if self.token and bearer != self.token and bearer not in self.tokens:
            return slack_error("invalid_auth")
        if name == "auth.test":
            return Reply(body={"ok": True, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": "B0LAN0Z89"})
        if name == "chat.postMessage":
            channel = str(arguments.get("channel", ""))
            if not channel:
                return slack_error("channel_not_found")
            if not (arguments.get("text") or arguments.get("blocks")):
                return slack_error("no_text")
            # Posting to a user id lands in the app's DM with that user.
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            message = {"type": "message", "user": BOT_USER_ID, "bot_id": "B0LAN0Z89", "text": arguments["text"]}
            if "thread_ts" in arguments:
                message["thread_ts"] = arguments["thread_ts"]
            return Reply(body={"ok": True, "channel": channel, "ts": ts, "message": {**message, "ts": ts}})
        if name == "reactions.add":
            key = (str(arguments.get("channel")), str(arguments.get("timestamp")), str(arguments.get("name")))
            with self._lock:
                if key in self._reactions:
                    return slack_error("already_reacted")
                self._reactions.add(key)
            return Reply(body={"ok": True})
        return slack_error("unknown_method", status=404)

    def _oauth_v2_access(self, recorded: Recorded, arguments: dict[str, Any]) -> Reply:
        client_id, client_secret = arguments.get("client_id", ""), arguments.get("client_secret", "")
        basic = recorded.headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode("utf-8").partition(":")
        if not self.client_id or (client_id, client_secret) != (self.client_id, self.client_secret):
            return slack_error("invalid_client_id" if client_id != self.client_id else "bad_client_secret")
        if arguments.get("grant_type") != "refresh_token":
            return slack_error("invalid_grant_type")
        with self._lock:
            refresh = str(arguments.get("refresh_token", ""))
            if refresh not in self.refresh_tokens:
                return slack_error("invalid_refresh_token")
            self.refresh_tokens.discard(refresh)
            serial = next(self._ts)
            access, new_refresh = f"xoxe.xoxb-1-standin{serial}", f"xoxe-1-standin{serial}"
            self.tokens.add(access)
            self.refresh_tokens.add(new_refresh)
        return Reply(
            body={
                "ok": True,
                "app_id": "A0KRD7HC3",
                "scope": "chat:write,reactions:write,app_mentions:read,commands",
                "token_type": "bot",
                "access_token": access,
                "bot_user_id": BOT_USER_ID,
                "refresh_token": new_refresh,
                "expires_in": ROTATED_TOKEN_SECONDS,
                "team": {"id": TEAM_ID, "name": "Acme"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # quiet test output
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    method=self.command,
                    path=urlsplit(self.path).path,
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
                if reply.body is None:
                    reply.body = standin._default(recorded, recorded.api_method or "hooks").body
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                recorded.answered = reply.status
                recorded.answer = reply.body if isinstance(reply.body, dict) else None
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

            do_GET = _serve
            do_POST = _serve

        return Handler
