"""The pywa client, built lazily in the processes that call Meta (the worker), never in the web process.

pywa always addresses ``https://graph.facebook.com`` (its ``GraphAPI`` overwrites the session's base URL),
so the session's transport re-addresses those requests to ``WHATSAPP_API_BASE``: in production that is
Meta itself, in tests a loopback stand-in speaking the same wire protocol. Media download URLs that Meta
hands out point at other hosts and are left alone.
"""

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

import httpx
from django.conf import settings

from alfred.vault import current_token

if TYPE_CHECKING:
    from pywa import WhatsApp

GRAPH_HOST = "graph.facebook.com"

# The last Graph API response of this thread: when pywa cannot read an error answer (a 503 from a proxy, a
# body without Meta's "error" fields), its status still tells whether the request was refused.
_last = threading.local()


def _remember(response: httpx.Response) -> None:
    _last.response = response


def last_response() -> httpx.Response | None:
    return getattr(_last, "response", None)


def forget_last_response() -> None:
    _last.response = None


class GraphBaseTransport(httpx.HTTPTransport):
    """Sends requests meant for graph.facebook.com to the configured base (scheme, host, port, path prefix)."""

    def __init__(self, base: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.base = httpx.URL(base)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == GRAPH_HOST and self.base.host != GRAPH_HOST:
            prefix = self.base.path.rstrip("/")
            request.url = request.url.copy_with(
                scheme=self.base.scheme, host=self.base.host, port=self.base.port, path=prefix + request.url.path
            )
            request.headers["Host"] = request.url.netloc.decode("ascii")
        return super().handle_request(request)


def whatsapp_client() -> "WhatsApp":
    """The process's client for the current settings and token (a new one when a rotation or a test changes
    the token, or a test the base)."""
    return _client(
        current_token("meta", fallback=settings.META_TOKEN),
        settings.PHONE_ID,
        settings.WHATSAPP_API_BASE,
        settings.WHATSAPP_API_VERSION,
        float(settings.WHATSAPP_API_TIMEOUT),
    )


@lru_cache(maxsize=4)
def _client(token: str, phone_id: str, base: str, version: str, timeout: float) -> "WhatsApp":
    from pywa import WhatsApp, utils

    session = httpx.Client(
        transport=GraphBaseTransport(base),
        # Connecting is retried safely (nothing was sent); the read timeout bounds how long a worker
        # thread waits for an answer that may never come.
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        event_hooks={"response": [_remember]},
    )
    return WhatsApp(
        phone_id=phone_id,
        token=token,
        session=session,
        api_version=version or utils.Version.GRAPH_API,
        # The database is the dedupe (unique wamid); pywa's in-memory cache would only hide bugs.
        skip_duplicate_updates=False,
    )
