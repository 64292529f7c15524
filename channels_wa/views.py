"""``/webhooks/whatsapp/``: Meta's subscription handshake (GET) and deliveries (POST).

A delivery is verified on its raw bytes, parsed, recorded and answered; the thinking happens in the worker.
This module stays light on purpose (no pywa): it runs in the web process, where every import costs memory
on a 256 MB machine.
"""

import hashlib
import hmac
import logging

from django.conf import settings
from django.db import DatabaseError, DataError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from alfred.webhooks import declared_size_refusal, json_strict, webhook_answer
from channels_wa.services import delivery_record

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"
SIGNATURE_PREFIX = "sha256="


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    """``X-Hub-Signature-256`` is ``sha256=`` + hex HMAC-SHA256 of the exact bytes, keyed with the app secret."""
    if not secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # Bytes, not str: compare_digest raises on non-ASCII text, and the header is the sender's to choose.
    given = header[len(SIGNATURE_PREFIX) :].strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode(), given)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return verify_subscription(request)
    return receive_delivery(request)


def verify_subscription(request: HttpRequest) -> HttpResponse:
    """Meta's handshake: echo ``hub.challenge`` when the verify token matches; anything else is refused."""
    token = request.GET.get("hub.verify_token", "")
    expected = settings.META_VERIFY_TOKEN
    if (
        request.GET.get("hub.mode") == "subscribe"
        and expected
        and hmac.compare_digest(token.encode(), expected.encode())
    ):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    logger.warning("whatsapp webhook verification refused (mode %r)", request.GET.get("hub.mode", "")[:20])
    return HttpResponse("forbidden", status=403, content_type="text/plain")


def receive_delivery(request: HttpRequest) -> HttpResponse:
    refused = declared_size_refusal(request)
    if refused is not None:
        return refused
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = request.read(limit + 1)
    if len(body) > limit:
        return webhook_answer(413, "body too large")

    header = request.META.get(SIGNATURE_HEADER, "")
    if not header:
        return webhook_answer(401, "missing X-Hub-Signature-256")
    if not signature_valid(body, header, settings.META_APP_SECRET):
        logger.warning("whatsapp webhook: bad signature (%d bytes)", len(body))
        return webhook_answer(403, "bad signature")

    try:
        payload = json_strict(body)
    except (UnicodeDecodeError, ValueError):
        return webhook_answer(400, "malformed JSON")

    try:
        report = delivery_record(payload=payload)
    except DataError as exc:
        # A value no column can hold: retrying cannot help, so it is refused like a malformed body.
        logger.error("whatsapp webhook: payload cannot be stored (%s)", type(exc).__name__)
        return webhook_answer(400, "payload cannot be stored")
    except DatabaseError as exc:
        # Nothing of this delivery was kept (one transaction); Meta retries on any non-200.
        logger.error("whatsapp webhook: database unavailable (%s); asking Meta to retry", type(exc).__name__)
        return webhook_answer(503, "temporarily unavailable")
    logger.debug("whatsapp webhook: %s", report)
    return HttpResponse(status=200)
