"""Which request and which message a log line is about (alfred/log_context.py): the ids in the JSON lines,
the response header, and gunicorn's access line (tests/core/test_logs.py)."""

import json
import logging
from collections.abc import Iterator
from io import StringIO

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from alfred.log_context import RequestIdMiddleware
from alfred.logs import JsonLines
from alfred.publisher import row_task

probe_logger = logging.getLogger("alfred.tests.log_context")


@pytest.fixture
def json_lines() -> Iterator[StringIO]:
    """What the probe logger prints, formatted as the instance's JSON lines."""
    out = StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines(instance="test"))
    probe_logger.addHandler(handler)
    probe_logger.setLevel(logging.INFO)
    yield out
    probe_logger.removeHandler(handler)


def printed(out: StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def logging_view(request: HttpRequest) -> HttpResponse:
    probe_logger.info("handling the request")
    return HttpResponse("ok")


def test_a_line_logged_during_a_request_carries_flys_request_id_and_the_response_names_it(json_lines):
    request = RequestFactory().get("/", HTTP_FLY_REQUEST_ID="01JFLYREQUEST0000000000001")
    response = RequestIdMiddleware(logging_view)(request)
    probe_logger.info("after the request")

    during, after = printed(json_lines)
    assert during["request_id"] == "01JFLYREQUEST0000000000001"
    assert response["X-Request-ID"] == "01JFLYREQUEST0000000000001"
    assert "request_id" not in after


def test_a_request_without_an_id_or_with_a_strange_one_gets_a_new_one(json_lines):
    for headers in ({}, {"HTTP_X_REQUEST_ID": "a b\nc"}, {"HTTP_X_REQUEST_ID": "x" * 65}):
        response = RequestIdMiddleware(logging_view)(RequestFactory().get("/", **headers))
        (line,) = printed(json_lines)[-1:]
        assert line["request_id"] == response["X-Request-ID"]
        assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"] != headers.get("HTTP_X_REQUEST_ID")


@pytest.mark.django_db
def test_every_response_of_the_app_carries_a_request_id():
    response = Client().get("/healthz/", HTTP_X_REQUEST_ID="probe-42")
    assert response["X-Request-ID"] == "probe-42"


@row_task("alfred.tests.log_probe")
def log_probe_task(message_id: int) -> None:
    probe_logger.info("working on the row")


def test_a_line_logged_by_a_stage_task_carries_the_row_it_works_on(json_lines):
    log_probe_task(7)
    probe_logger.info("between tasks")

    during, between = printed(json_lines)
    assert during["message_id"] == 7
    assert "message_id" not in between
