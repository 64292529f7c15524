"""Which request and which message a log line is about: ``request_id`` and ``message_id`` in every JSON line
written while one is being handled (alfred/logs.py reads them here).

A request's id is Fly's (``Fly-Request-Id``, so a line can be matched with Fly's proxy logs) or the client's
``X-Request-ID``, else a new one; it is sent back as ``X-Request-ID`` and gunicorn's access line carries it.
A message's id is its row's id in the instance's database, set around every stage task that takes one row
(``alfred.publisher.row_task``: handling, delivery). Context variables, so each thread of gunicorn's and
Celery's thread pools has its own. Imports nothing from Django at module level (alfred/logs.py is loaded by
gunicorn's master before Django).
"""

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

request_id: ContextVar[str | None] = ContextVar("alfred_request_id", default=None)
message_id: ContextVar[int | None] = ContextVar("alfred_message_id", default=None)

# A client's id is used only when it looks like one (it ends up in log lines and a response header).
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Fly's proxy first; then a load balancer's or the client's.
_ID_HEADERS = ("HTTP_FLY_REQUEST_ID", "HTTP_X_REQUEST_ID")


def current() -> dict[str, str | int]:
    """The ids known in this thread now, for a log line."""
    known: dict[str, str | int] = {}
    if (request := request_id.get()) is not None:
        known["request_id"] = request
    if (message := message_id.get()) is not None:
        known["message_id"] = message
    return known


@contextmanager
def about_message(row_id: int) -> Iterator[None]:
    token = message_id.set(row_id)
    try:
        yield
    finally:
        message_id.reset(token)


class RequestIdMiddleware:
    """Outermost middleware: every line logged while the request is handled carries its id."""

    def __init__(self, get_response: "Callable[[HttpRequest], HttpResponse]") -> None:
        self.get_response = get_response

    def __call__(self, request: "HttpRequest") -> "HttpResponse":
        given = next((request.META[h] for h in _ID_HEADERS if h in request.META), "")
        rid = given if _ACCEPTED_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response
