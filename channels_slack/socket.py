"""Slack Socket Mode: Alfred-Biz opens an outbound WebSocket and Slack pushes events, commands and clicks
through it, so Biz needs no public URL and no signing secret (``SLACK_APP_TOKEN``, an ``xapp-`` token).

``manage.py slack_socket`` runs bolt's ``SocketModeHandler`` (slack_sdk's built-in client, no extra
dependency) over the same bolt ``App`` the HTTP endpoint uses (``channels_slack.bolt``): the same listeners
record each envelope in the inbox, acknowledge it and leave the work to the worker, so a message reaching
Alfred through both doors is stored once (the inbox's key ``team:channel:ts``) and answered once.

What the built-in client does not do, this module adds:

- **backoff**: a failed ``apps.connections.open`` or WebSocket handshake is retried after 1, 2, 4… seconds
  (at most ``MAX_BACKOFF_SECONDS``, with jitter), from the initial connection, after a ``disconnect``
  envelope and after a dropped connection alike, instead of the client's fixed-interval attempts;
- **a fatal stop**: an app token Slack refuses (``invalid_auth`` and its kin) or a WebSocket URL outside
  ``socket_mode_hosts()`` stops the process with exit status 1 and one error line, instead of looping;
- **database hygiene**: each envelope is handled like a web request (stale connections closed before and
  after), since the client's thread pool would otherwise keep a connection per thread forever.

The app token is a secret: no log line carries it, nor the WebSocket URL (its ticket admits a connection).
"""

import logging
import random
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections

from alfred.egress import admit as admit_host

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.socket_mode.builtin import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest

logger = logging.getLogger(__name__)
# slack_sdk's Socket Mode client logs every frame it sends and receives (members' messages) at debug level:
# its logger speaks from info up (sessions opened and closed), whatever LOG_LEVEL says.
sdk_logger = logging.getLogger("channels_slack.socket.sdk")
sdk_logger.setLevel(logging.INFO)
web_logger = logging.getLogger("channels_slack.socket.web")
web_logger.setLevel(logging.WARNING)  # the Web API client logs its headers (the app token) at debug level

# apps.connections.open errors after which another attempt cannot succeed: a person must fix the token.
FATAL_CODES = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "not_allowed_token_type"}
)
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
# How often the client pings Slack; a connection silent for four times this is dropped and replaced.
PING_INTERVAL_SECONDS = 10.0


class SocketModeStopped(Exception):
    """Socket Mode cannot go on (a refused token, a WebSocket host that is not Slack's); the message says
    why and never carries a secret."""


def socket_mode_hosts() -> frozenset[str]:
    """The WebSocket hosts Alfred-Biz may connect to: those under the Slack API host's domain
    (``wss-primary.slack.com`` for ``https://slack.com/api/``), or the configured stand-in's host (a loopback
    stand-in in tests). This module refuses any other host, and admits the one it accepts in the egress guard."""
    host = (urlsplit(settings.SLACK_API_BASE).hostname or "").lower()
    return frozenset({host}) if host else frozenset()


def host_allowed(url: str) -> bool:
    """Whether a WebSocket URL returned by ``apps.connections.open`` is one Alfred may connect to."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"wss", "ws"} or not host or "@" in parts.netloc:
        return False
    for allowed in socket_mode_hosts():
        loopback = allowed in {"127.0.0.1", "localhost", "::1"}
        if host == allowed or (not loopback and host.endswith(f".{allowed}")):
            # Plain ws:// only for a loopback stand-in: Slack's own sockets are always wss://.
            return parts.scheme == "wss" or loopback
    return False


def backoff_delay(attempt: int) -> float:
    """1, 2, 4… seconds up to ``MAX_BACKOFF_SECONDS``, each with up to a quarter more at random, so that
    processes cut off together do not all come back in the same second."""
    delay = min(FIRST_BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS)
    return delay * (1 + random.random() / 4)  # noqa: S311  (jitter, not a secret)


@lru_cache(maxsize=1)
def _client_class() -> "type[SocketModeClient]":
    from slack_sdk.errors import SlackApiError
    from slack_sdk.socket_mode.builtin import SocketModeClient

    class AlfredSocketModeClient(SocketModeClient):
        """The built-in client with backoff, a fatal stop and host checking (see the module docstring)."""

        def __init__(self, *args: Any, backoff: Callable[[int], float] = backoff_delay, **kwargs: Any) -> None:
            # Set before the client's own threads start: they may call connect() at once.
            self.stopped = threading.Event()
            self.stop_reason = ""
            self.backoff = backoff
            super().__init__(*args, **kwargs)

        def issue_new_wss_url(self) -> str:
            try:
                response = self.web_client.apps_connections_open(app_token=self.app_token)
            except SlackApiError as exc:
                data = exc.response.data if exc.response is not None else None
                code = str(data.get("error", "")) if isinstance(data, dict) else ""
                if code in FATAL_CODES:
                    raise SocketModeStopped(
                        f"Slack refused SLACK_APP_TOKEN ({code}): create an app-level token with connections:write "
                        "(Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN again"
                    ) from None
                raise ConnectionError(f"apps.connections.open failed ({code[:60] or 'no error code'})") from None
            url = str(response.get("url") or "")
            if not host_allowed(url):
                raise SocketModeStopped(
                    "apps.connections.open returned a WebSocket host that is not Slack's "
                    f"({(urlsplit(url).hostname or '?')[:80]}); allowed: {', '.join(sorted(socket_mode_hosts()))}"
                )
            # Checked just above: the egress guard may now let the client connect to it.
            admit_host(urlsplit(url).hostname or "")
            return url

        def connect(self) -> None:
            attempt = 0
            while not self.closed and not self.stopped.is_set():
                try:
                    if self.wss_uri is None:
                        self.wss_uri = self.issue_new_wss_url()
                    super().connect()
                except SocketModeStopped as exc:
                    self.stop(str(exc))
                    return
                except Exception as exc:  # every other failure is worth another attempt
                    reason = f"{type(exc).__name__}: {exc}"
                else:
                    if self.is_connected():
                        return
                    reason = "the WebSocket handshake failed"
                # Each URL is good for one connection: the next attempt asks Slack for a new one.
                self.wss_uri = None
                delay = self.backoff(attempt)
                logger.warning("slack socket mode: cannot connect (%s); next attempt in %.1f s", reason[:200], delay)
                attempt += 1
                self.stopped.wait(delay)

        def connect_to_new_endpoint(self, force: bool = False) -> None:
            # After a ``disconnect`` envelope (force) and when the monitor finds the connection dropped: one
            # attempt at a time, each with its backoff (the client's own version waits 5 s for the lock and
            # then, when forced, connects regardless).
            with self.connect_operation_lock:
                if self.closed or self.stopped.is_set() or not (force or not self.is_connected()):
                    return
                logger.info("slack socket mode: reconnecting (%s)", "Slack asked" if force else "connection lost")
                self.wss_uri = None
                self.connect()

        def stop(self, reason: str) -> None:
            self.stop_reason = reason
            self.auto_reconnect_enabled = False
            self.stopped.set()

    return AlfredSocketModeClient


def handler_for(
    app: "App",
    app_token: str,
    *,
    ping_interval: float = PING_INTERVAL_SECONDS,
    backoff: Callable[[int], float] = backoff_delay,
) -> "SocketModeHandler":
    """bolt's Socket Mode handler over ``app``, with Alfred's client underneath."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
    from slack_sdk import WebClient

    class AlfredSocketModeHandler(SocketModeHandler):
        def __init__(self, app: "App", client: "SocketModeClient") -> None:
            # bolt's own __init__ builds the stock client; everything else of the handler is bolt's.
            self.app, self.app_token, self.client = app, client.app_token, client
            client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

        def handle(self, client: "SocketModeClient", req: "SocketModeRequest") -> None:  # type: ignore[override]
            # As Django does around a request: a connection past its age, or broken, is not reused.
            close_old_connections()
            try:
                # The listeners record, then ack. When recording fails bolt answers 500 and nothing is
                # acknowledged: Slack delivers the envelope again.
                send_response(client, req, run_bolt_app(self.app, req), 0.0)
            finally:
                close_old_connections()

    web_client = WebClient(
        base_url=settings.SLACK_API_BASE,
        timeout=int(max(float(settings.SLACK_API_TIMEOUT), 1)),
        retry_handlers=[],
        logger=web_logger,
    )
    client_class: Any = _client_class()  # its __init__ takes ``backoff`` too
    client = client_class(
        app_token=app_token,
        logger=sdk_logger,
        web_client=web_client,
        ping_interval=ping_interval,
        backoff=backoff,
    )
    return AlfredSocketModeHandler(app, client)


class SocketModeRunner:
    """One Socket Mode session for this process: ``run()`` blocks until ``shutdown()`` (returns) or a fatal
    stop (raises ``SocketModeStopped``)."""

    def __init__(
        self,
        *,
        ping_interval: float = PING_INTERVAL_SECONDS,
        backoff: Callable[[int], float] = backoff_delay,
    ) -> None:
        from channels_slack.bolt import get_app

        if not settings.SLACK_APP_TOKEN:
            raise SocketModeStopped("SLACK_APP_TOKEN is not set: Socket Mode needs the app-level token (xapp-…)")
        self.handler = handler_for(get_app(), settings.SLACK_APP_TOKEN, ping_interval=ping_interval, backoff=backoff)
        self.client: Any = self.handler.client
        self._shutdown = threading.Event()

    def run(self) -> None:
        logger.info(
            "slack socket mode: connecting (WebSocket hosts allowed: %s)", ", ".join(sorted(socket_mode_hosts()))
        )
        try:
            self.client.connect()
            while not self._shutdown.is_set() and not self.client.stopped.is_set():
                self.client.stopped.wait(0.2)
        finally:
            self.client.close()
        if not self._shutdown.is_set():
            raise SocketModeStopped(self.client.stop_reason)

    def shutdown(self) -> None:
        self._shutdown.set()
        self.client.stopped.set()
