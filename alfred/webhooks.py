"""What every channel's webhook view needs before its own parsing: a size limit that answers 413 before
the body is read, a JSON reader that refuses what no column can store, and one shape of error answer."""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse


def webhook_answer(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259) and no jsonb column can store them."""
    raise ValueError(f"{name} is not JSON")


def json_strict(text: str | bytes) -> Any:
    """``json.loads`` that raises ``ValueError`` on NaN/Infinity as on any other malformed input."""
    return json.loads(text, parse_constant=_refuse_constant)


def declared_size_refusal(request: HttpRequest) -> JsonResponse | None:
    """400 for an unreadable Content-Length, 413 for one over ``DATA_UPLOAD_MAX_MEMORY_SIZE``; None when the
    body may be read (a sender that lies about its length is caught by the view reading at most the limit)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return webhook_answer(400, "bad Content-Length")
    if declared > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return webhook_answer(413, "body too large")
    return None
