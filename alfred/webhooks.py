"""What every channel's webhook view needs before its own parsing: a size limit that answers 413 before
the body is read, a JSON reader that refuses what no column can store, and one shape of error answer."""

import io
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse


def webhook_answer(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259) and no jsonb column can store them."""
    raise ValueError(f"{name} is not JSON")


# No provider nests anywhere near this deep (Meta's deliveries are 6 levels, Slack's blocks about 10); a
# body that does is an attack on the parser or on whoever walks the result.
MAX_JSON_DEPTH = 64


def json_strict(text: str | bytes) -> Any:
    """``json.loads`` that raises ``ValueError`` on NaN/Infinity, on nesting deeper than ``MAX_JSON_DEPTH``
    and on nesting deep enough to exhaust the parser's recursion, as on any other malformed input."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        # The C decoder raises this instead of a JSONDecodeError past ~Python's recursion limit.
        raise ValueError("JSON nested too deeply") from None
    if _depth_over(value, MAX_JSON_DEPTH):
        raise ValueError("JSON nested too deeply")
    return value


def _depth_over(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers deeper than ``limit``; iterative, so it cannot itself recurse out."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def declared_size_refusal(request: HttpRequest) -> JsonResponse | None:
    """400 for an unreadable Content-Length, 413 for one over ``DATA_UPLOAD_MAX_MEMORY_SIZE``; None when the
    body may be read (a sender that lies about its length is caught by the view reading at most the limit).
    A chunked body has no Content-Length: see ``_chunked_refusal``."""
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return _chunked_refusal(request)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return webhook_answer(400, "bad Content-Length")
    if declared > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return webhook_answer(413, "body too large")
    return None


def _chunked_refusal(request: HttpRequest) -> JsonResponse | None:
    """A chunked body can be read only when the server de-chunks it and marks the stream as ending
    (``wsgi.input_terminated``, as gunicorn does); then it is read up to the limit and kept for the view, or
    refused with 413. Otherwise Django would see an empty body: 411, so that the sender resends with a
    length instead of having its message silently read as nothing."""
    if not request.META.get("wsgi.input_terminated"):
        return webhook_answer(411, "Content-Length required")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    stream = request.META["wsgi.input"]
    body = stream.read(limit + 1)
    if len(body) > limit:
        return webhook_answer(413, "body too large")
    # Django built its body stream bounded by the missing Content-Length (0): give both ``request.read()``
    # and ``request.body`` what was read instead.
    request._stream = io.BytesIO(body)
    request.META["CONTENT_LENGTH"] = str(len(body))
    return None
