"""``/slack/events/``: Events API callbacks, slash commands and interactivity, one URL (as the manifest says).

Limits and shape are checked here, before bolt: an oversized body is 413 and a body that is neither JSON nor a
form (or a form whose ``payload`` is not JSON) is 400, where bolt would raise. Then bolt's Django adapter
verifies the signature (401) and runs the listeners (``channels_slack.bolt``). A request bolt has no
listener for (404 in bolt) is verified and unknown: 200, ignored.

This module stays light on purpose: slack_bolt is imported at the first request, not when URLs load.
"""

import logging
from urllib.parse import parse_qs

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from alfred.webhooks import declared_size_refusal, json_strict, webhook_answer

logger = logging.getLogger(__name__)

# Seconds since 1970 have 10 digits until the year 2286.
MAX_TIMESTAMP_DIGITS = 12


def well_formed(body: bytes) -> bool:
    """A JSON object (Events API), or a form (commands; interactivity with a JSON object as ``payload``)."""
    try:
        text = body.decode("utf-8")
        if text.lstrip().startswith("{"):
            return isinstance(json_strict(text), dict)
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
        if "payload" in form:
            return isinstance(json_strict(form["payload"][0]), dict)
        return bool(form) or not text
    except ValueError:  # UnicodeDecodeError, JSONDecodeError, and a form parse_qs cannot read
        return False


def well_formed_timestamp(timestamp: str) -> bool:
    return timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS


@csrf_exempt
@require_POST
def slack_events(request: HttpRequest) -> HttpResponse:
    refused = declared_size_refusal(request)
    if refused is not None:
        return refused
    if not settings.SLACK_SIGNING_SECRET:
        # Without a secret nothing can be verified, and an empty key would verify anyone's signature.
        logger.error("slack request refused: SLACK_SIGNING_SECRET is not set")
        return webhook_answer(503, "Slack is not configured")
    body = request.body  # bounded by Content-Length, checked above
    if not well_formed(body):
        return webhook_answer(400, "malformed body")
    timestamp = request.META.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    if timestamp is not None and not well_formed_timestamp(timestamp):
        # Slack sends seconds as ASCII digits; bolt's verifier would crash on "nan" or 400 nines (float
        # overflow) and would read " 123" or "١٢٣" as numbers.
        return webhook_answer(401, "bad X-Slack-Request-Timestamp")

    from slack_bolt.adapter.django.handler import to_bolt_request, to_django_response

    from channels_slack.bolt import SHAPE_ERRORS, raised_in_alfred, request_handler

    app = request_handler().app
    try:
        # bolt reads the body's ids into its context here, before any signature check: a field of the wrong
        # type (``"event": null``) raises. What is not Slack's shape is refused like any malformed body.
        bolt_request = to_bolt_request(request)
    except SHAPE_ERRORS:
        return webhook_answer(400, "malformed body")
    try:
        response = to_django_response(app.dispatch(bolt_request))
    except SHAPE_ERRORS as exc:
        if raised_in_alfred(exc):
            raise
        # bolt fills its context before its error handling starts (``App._init_context``).
        return webhook_answer(400, "malformed body")
    except DatabaseError as exc:
        # Nothing was kept; Slack retries on any non-2xx (and the retry is deduped if it was).
        logger.error("slack request: database unavailable (%s); asking Slack to retry", type(exc).__name__)
        return webhook_answer(503, "temporarily unavailable")
    if response.status_code == 404:
        # Verified, and nothing Alfred listens to: acknowledged so that Slack does not retry it.
        return HttpResponse(status=200)
    return response
