"""Hypothesis over ``/slack/events/``: whatever the body or headers, the answer is 2xx or 4xx, never a 5xx
(Slack retries those and shows the member an error), and nothing reaches the inbox unless Slack signed it
just now. Signature-bypass attempts (missing or bent headers, wrong prefix, case tricks, odd timestamps, a
command smuggled into an ``ssl_check``) are all refused."""

import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alfred.models import Direction, Message
from tests.channels_slack.conftest import URL, command, event, fixture, signature
from tests.hostile import JSON_VALUES, RAW_BODIES, deep_nesting, encoded, mutated

pytestmark = [pytest.mark.biz, pytest.mark.django_db(transaction=True)]

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "multipart/form-data"]
)
# A form's text is UTF-8 on the wire: no lone surrogates (those come through JSON escapes above).
FORM_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
FORMS = st.dictionaries(
    FORM_TEXT, st.one_of(FORM_TEXT, JSON_VALUES.map(lambda v: encoded(v).decode())), max_size=5
).map(lambda fields: urlencode(fields).encode())


def signed_post(client: Client, body: bytes, content_type: str, **headers: str) -> Any:
    """The exact bytes, signed now (``generic``: ``post`` would re-encode them)."""
    timestamp = int(time.time())
    headers.setdefault("HTTP_X_SLACK_REQUEST_TIMESTAMP", str(timestamp))
    headers.setdefault("HTTP_X_SLACK_SIGNATURE", signature(body, timestamp))
    return client.generic("POST", URL, body, content_type=content_type, **headers)


def inbound_exists() -> bool:
    return Message.objects.filter(direction=Direction.INBOUND).exists()


@FUZZ
@given(body=st.one_of(RAW_BODIES, FORMS), content_type=CONTENT_TYPES)
def test_any_signed_body_is_answered_without_a_5xx_and_junk_stores_nothing(
    client: Client, slack_settings: Any, body: bytes, content_type: str
) -> None:
    response = signed_post(client, body, content_type)

    assert response.status_code < 500, (response.status_code, response.content)
    assert not inbound_exists()


@FUZZ
@given(body=deep_nesting())
def test_deeply_nested_json_is_a_400(client: Client, slack_settings: Any, body: bytes) -> None:
    response = signed_post(client, body, "application/json")

    assert response.status_code == 400
    assert not inbound_exists()


def as_form(fields: dict[str, Any]) -> bytes:
    return urlencode(
        {key: value if isinstance(value, str) else encoded(value).decode() for key, value in fields.items()}
    ).encode()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    case=st.one_of(
        mutated(event("app_mention")).map(lambda body: (encoded(body), "application/json")),
        mutated(event("message_im")).map(lambda body: (encoded(body), "application/json")),
        mutated(command("ping", "https://hooks.slack.com/commands/T0001/1/x")).map(
            lambda fields: (as_form(fields), "application/x-www-form-urlencoded")
        ),
        mutated(fixture("interactivity", "block_actions")).map(
            lambda payload: (
                urlencode({"payload": encoded(payload).decode()}).encode(),
                "application/x-www-form-urlencoded",
            )
        ),
    )
)
def test_real_requests_with_wrong_typed_fields_are_never_a_5xx(
    client: Client, slack_settings: Any, slack: Any, owner: Any, case: tuple[bytes, str]
) -> None:
    body, content_type = case

    response = signed_post(client, body, content_type)

    assert response.status_code < 500, (response.status_code, response.content)


def bent_signatures(body: bytes) -> list[dict[str, str]]:
    """Headers an attacker tries instead of a valid signature over ``body``."""
    now = int(time.time())
    good = signature(body, now)
    return [
        {},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now)},
        {"HTTP_X_SLACK_SIGNATURE": good},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now), "HTTP_X_SLACK_SIGNATURE": good.upper()},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now), "HTTP_X_SLACK_SIGNATURE": "v1=" + good[3:]},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now), "HTTP_X_SLACK_SIGNATURE": good[3:]},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now), "HTTP_X_SLACK_SIGNATURE": good + " "},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now), "HTTP_X_SLACK_SIGNATURE": "v0="},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now), "HTTP_X_SLACK_SIGNATURE": signature(body, now, secret="")},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now - 600), "HTTP_X_SLACK_SIGNATURE": signature(body, now - 600)},
        {"HTTP_X_SLACK_REQUEST_TIMESTAMP": str(now + 600), "HTTP_X_SLACK_SIGNATURE": signature(body, now + 600)},
        # Timestamps that int() would accept or that break the arithmetic: the signature is over the header's text.
        *(
            {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": good}
            for stamp in (f" {now}", f"{now}.0", f"+{now}", "\u0661\u0662\u0663", "nan", "9" * 400, "")
        ),
    ]


@pytest.mark.parametrize("kind", ["event", "command", "interaction"])
def test_no_bent_signature_gets_a_request_in(
    client: Client, slack_settings: Any, slack: Any, owner: Any, kind: str
) -> None:
    if kind == "event":
        body, content_type = encoded(event("message_im")), "application/json"
    elif kind == "command":
        body, content_type = as_form(command("ping", slack.response_url())), "application/x-www-form-urlencoded"
    else:
        body = urlencode({"payload": encoded(fixture("interactivity", "block_actions")).decode()}).encode()
        content_type = "application/x-www-form-urlencoded"

    for headers in bent_signatures(body):
        response = client.generic("POST", URL, body, content_type=content_type, **headers)

        assert response.status_code == 401, (headers, response.status_code, response.content)
        assert b"pong" not in response.content
    assert not Message.objects.exists()
    assert slack.requests == []


def test_a_command_smuggled_into_an_ssl_check_runs_nothing(
    client: Client, slack_settings: Any, slack: Any, owner: Any
) -> None:
    fields = dict(command("ping", slack.response_url()), ssl_check="1")

    response = client.generic("POST", URL, as_form(fields), content_type="application/x-www-form-urlencoded")

    assert response.status_code in (200, 401)
    assert b"pong" not in response.content
    assert not Message.objects.exists()
    assert slack.requests == []
