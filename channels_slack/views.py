"""``/slack/events/``: Events API callbacks, slash commands and interactivity, one URL (as the manifest says).

Limits and shape are checked here, before bolt: an oversized body is 413 and a body that is neither JSON nor a
form (or a form whose ``payload`` is not JSON) is 400, where bolt would raise. Then bolt's Django adapter
verifies the signature (401) and runs the listeners (``channels_slack.bolt``). A request bolt has no
listener for (404 in bolt) is verified and unknown: 200, ignored.

This module stays light on purpose: slack_bolt is imported at the first request, not when URLs load.
"""

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)


def _answer(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259) and no jsonb column can store them."""
    raise ValueError(f"{name} is not JSON")


def well_formed(body: bytes) -> bool:
    """A JSON object (Events API), or a form (commands; interactivity with a JSON object as ``payload``)."""
    try:
        text = body.decode("utf-8")
        if text.lstrip().startswith("{"):
            return isinstance(json.loads(text, parse_constant=_refuse_constant), dict)
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
        if "payload" in form:
            return isinstance(json.loads(form["payload"][0], parse_constant=_refuse_constant), dict)
        return bool(form) or not text
    except ValueError:  # UnicodeDecodeError, JSONDecodeError, and a form parse_qs cannot read
        return False


@csrf_exempt
@require_POST
def slack_events(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _answer(400, "bad Content-Length")
    if declared > limit:
        return _answer(413, "body too large")
    if not settings.SLACK_SIGNING_SECRET:
        # Without a secret nothing can be verified, and an empty key would verify anyone's signature.
        logger.error("slack request refused: SLACK_SIGNING_SECRET is not set")
        return _answer(503, "Slack is not configured")
    body = request.body  # bounded by Content-Length, checked above
    if not well_formed(body):
        return _answer(400, "malformed body")

    from channels_slack.bolt import request_handler

    try:
        response = request_handler().handle(request)
    except DatabaseError as exc:
        # Nothing was kept; Slack retries on any non-2xx (and the retry is deduped if it was).
        logger.error("slack request: database unavailable (%s); asking Slack to retry", type(exc).__name__)
        return _answer(503, "temporarily unavailable")
    if response.status_code == 404:
        # Verified, and nothing Alfred listens to: acknowledged so that Slack does not retry it.
        return HttpResponse(status=200)
    return response
