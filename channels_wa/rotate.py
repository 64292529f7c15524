"""Renewing ``META_TOKEN``: the Graph API's ``debug_token`` tells its expiry, ``oauth/access_token`` with
``grant_type=fb_exchange_token`` gives a new long-lived token for it. Both need the app id and secret
(``META_APP_ID``, ``META_APP_SECRET``).

The requests go through the channel's own transport (``GraphBaseTransport``): addressed to
graph.facebook.com, re-addressed to ``WHATSAPP_API_BASE`` (a loopback stand-in in tests). Both calls carry
the app secret and a token in the query string, as Meta requires: no exception text or log line here ever
includes a URL, and Meta's error messages are passed on with every secret blanked.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings

from alfred.rotation import Inspection, Issued, RotationError, StoredToken, TokenRotator
from channels_wa.client import GRAPH_HOST, GraphBaseTransport


def _moment(epoch: object) -> datetime | None:
    """Meta's timestamps: seconds since the epoch, 0 for "never"."""
    return datetime.fromtimestamp(int(epoch), tz=UTC) if isinstance(epoch, int) and epoch > 0 else None


class MetaTokenRotator(TokenRotator):
    provider = "meta"

    def problem(self) -> str:
        missing = [name for name in ("META_APP_ID", "META_APP_SECRET") if not getattr(settings, name)]
        return f"{' and '.join(missing)} not set" if missing else ""

    def seed(self) -> Issued | None:
        return Issued(token=settings.META_TOKEN) if settings.META_TOKEN else None

    def max_age(self) -> timedelta | None:
        days = int(settings.ALFRED_TOKEN_MAX_AGE_DAYS)
        return timedelta(days=days) if days > 0 else None

    def inspect(self, stored: StoredToken) -> Inspection:
        app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
        answer = self._get("debug_token", {"input_token": stored.token, "access_token": app_token}, stored)
        data = answer.get("data")
        if not isinstance(data, dict):
            raise RotationError("debug_token answered without data")
        return Inspection(
            valid=data.get("is_valid") is True,
            expires_at=_moment(data.get("expires_at")),
            issued_at=_moment(data.get("issued_at")),
        )

    def rotate(self, stored: StoredToken) -> Issued:
        now = datetime.now(tz=UTC)
        answer = self._get(
            "oauth/access_token",
            {
                "grant_type": "fb_exchange_token",
                "client_id": settings.META_APP_ID,
                "client_secret": settings.META_APP_SECRET,
                "fb_exchange_token": stored.token,
            },
            stored,
        )
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise RotationError("the exchange answered without an access_token")
        expires_in = answer.get("expires_in")
        expires_at = now + timedelta(seconds=expires_in) if isinstance(expires_in, int) and expires_in > 0 else None
        return Issued(token=token, expires_at=expires_at, issued_at=now)

    def _get(self, path: str, params: dict[str, str], stored: StoredToken) -> dict[str, Any]:
        version = settings.WHATSAPP_API_VERSION or _newest_version()
        timeout = float(settings.WHATSAPP_API_TIMEOUT)
        try:
            with httpx.Client(
                transport=GraphBaseTransport(settings.WHATSAPP_API_BASE),
                timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            ) as client:
                response = client.get(f"https://{GRAPH_HOST}/v{version}/{path}", params=params)
        except httpx.HTTPError as exc:
            raise RotationError(f"Graph API unreachable ({type(exc).__name__})") from None
        try:
            answer = response.json()
        except ValueError:
            raise RotationError(f"Graph API answered HTTP {response.status_code} without JSON") from None
        if not isinstance(answer, dict):
            raise RotationError(f"Graph API answered HTTP {response.status_code} with unexpected JSON")
        error = answer.get("error")
        if isinstance(error, dict) or response.status_code != 200:
            error = error if isinstance(error, dict) else {}
            message = _blanked(str(error.get("message", "")), stored.token, settings.META_APP_SECRET)[:200]
            raise RotationError(f"Graph API error {error.get('code', response.status_code)}: {message}")
        return answer


def _newest_version() -> str:
    from pywa import utils

    return str(utils.Version.GRAPH_API.value)


def _blanked(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
