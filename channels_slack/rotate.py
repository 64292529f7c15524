"""Renewing the bot token when the Slack app has token rotation on: access tokens then expire after 12
hours, and ``oauth.v2.access`` with ``grant_type=refresh_token`` trades the current refresh token for a new
access token and a new refresh token. The core holds the row lock around the trade, so no two processes
spend the same refresh token (slack-bolt issue 663).

With rotation off (no ``SLACK_REFRESH_TOKEN``) the bot token does not expire and nothing is done.
"""

import http.client
from datetime import UTC, datetime, timedelta
from urllib.error import URLError

from django.conf import settings

from alfred.rotation import Issued, RotationError, StoredToken, TokenRotator
from channels_slack.client import sdk_logger


class SlackTokenRotator(TokenRotator):
    provider = "slack"
    # The environment's first token says nothing about its expiry: refresh it at once.
    refresh_when_expiry_unknown = True

    def problem(self) -> str:
        if not settings.SLACK_REFRESH_TOKEN:
            return "token rotation off (SLACK_REFRESH_TOKEN not set)"
        missing = [name for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") if not getattr(settings, name)]
        return f"{' and '.join(missing)} not set" if missing else ""

    def seed(self) -> Issued | None:
        if not settings.SLACK_BOT_TOKEN:
            return None
        return Issued(token=settings.SLACK_BOT_TOKEN, refresh=settings.SLACK_REFRESH_TOKEN)

    def rotate(self, stored: StoredToken) -> Issued:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        if not stored.refresh:
            raise RotationError("no refresh token stored: set SLACK_REFRESH_TOKEN")
        now = datetime.now(tz=UTC)
        # No token on the client: this call authenticates with the app's id and secret (HTTP Basic).
        client = WebClient(
            base_url=settings.SLACK_API_BASE,
            timeout=int(max(float(settings.SLACK_API_TIMEOUT), 1)),
            retry_handlers=[],
            logger=sdk_logger,
        )
        try:
            answer = client.oauth_v2_access(
                client_id=settings.SLACK_CLIENT_ID,
                client_secret=settings.SLACK_CLIENT_SECRET,
                grant_type="refresh_token",
                refresh_token=stored.refresh,
            )
        except SlackApiError as exc:
            code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            raise RotationError(f"Slack refused the refresh ({code or f'HTTP {exc.response.status_code}'})") from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            raise RotationError(f"Slack unreachable ({type(exc).__name__})") from None
        token, refresh, expires_in = answer.get("access_token"), answer.get("refresh_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(refresh, str) or not refresh:
            raise RotationError("Slack answered without an access token and a refresh token")
        expires_at = now + timedelta(seconds=expires_in) if isinstance(expires_in, int) and expires_in > 0 else None
        return Issued(token=token, refresh=refresh, expires_at=expires_at, issued_at=now)
