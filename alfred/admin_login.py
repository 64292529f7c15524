"""The admin login lockout (django-axes, configured in settings "who may talk"): which address a login comes
from, the page a locked-out login gets, and the audit event of a lockout.

Behind a proxy every request comes from the proxy's address; Fly.io puts the client's in ``Fly-Client-IP``.
``ALFRED_CLIENT_IP_HEADER`` names that header where the proxy sets it; it is never read otherwise, because a
client can send any header it likes.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from alfred.audit import audit_record_now

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    header = settings.ALFRED_CLIENT_IP_HEADER
    if header:
        value = request.headers.get(header, "").split(",")[0].strip()
        if value:
            return value
    return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The admin's own page (instance name and colour) instead of axes' plain text, with status 429."""
    context = {
        **admin.site.each_context(request),
        "title": "Login locked",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    response = TemplateResponse(request, "admin/alfred/locked_out.html", context, status=429)
    return response.render()


def lockout_audited(
    sender: Any,
    *,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    # Not the username: people type passwords into that field. It is in the audit event, for the reset.
    logger.warning("admin login locked after %d failures (client %s)", settings.AXES_FAILURE_LIMIT, ip_address or "?")
    # Its own connection: the login's transaction may be rolled back with the refused request.
    audit_record_now(
        "admin.locked_out",
        actor=f"login:{(username or '')[:60]}",
        target="admin",
        ip_address=ip_address or "",
    )
