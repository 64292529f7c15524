"""Hypothesis over the WhatsApp webhook: whatever the body, a signed or unsigned delivery is answered 2xx or
4xx, never 5xx (Meta would retry a 5xx for days), and a body that is not a delivery stores nothing."""

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alfred.models import Message
from channels_wa.models import StatusEvent
from tests.channels_wa.conftest import APP_SECRET, URL, deliver, sample
from tests.conftest import sign
from tests.hostile import RAW_BODIES, mutated

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = sample("message", "text")
STATUS = sample("message_status", "with_tracker")


@FUZZ
@given(
    body=RAW_BODIES,
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1"]),
)
def test_any_signed_body_is_answered_without_a_5xx_and_junk_stores_nothing(
    client: Client, wa_settings: Any, body: bytes, content_type: str
) -> None:
    # generic(), not post(): post() would transcode the bytes to the declared charset before signing.
    response = client.generic(
        "POST", URL, body, content_type=content_type, HTTP_X_HUB_SIGNATURE_256=sign(body, APP_SECRET)
    )

    assert response.status_code in (200, 400), response.content
    # None of these bodies is a delivery with a message from a member: nothing may be kept.
    assert not Message.objects.exists()


SIGNATURES = st.one_of(
    st.text(max_size=80),
    st.just("sha256="),
    st.binary(min_size=32, max_size=32).map(lambda digest: "sha256=" + digest.hex()),
    st.binary(min_size=32, max_size=32).map(lambda digest: "SHA256=" + digest.hex().upper()),
    st.binary(min_size=32, max_size=32).map(lambda digest: "sha1=" + digest.hex()),
)


@FUZZ
@given(header=SIGNATURES)
def test_no_forged_signature_gets_a_delivery_in(client: Client, wa_settings: Any, ana: Any, header: str) -> None:
    response = deliver(client, TEXT, HTTP_X_HUB_SIGNATURE_256=header)

    assert response.status_code in (401, 403)
    assert not Message.objects.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(mutated(TEXT), mutated(STATUS)))
def test_a_real_delivery_with_wrong_typed_fields_is_never_a_5xx(
    client: Client, wa_settings: Any, graph: Any, ana: Any, body: dict[str, Any]
) -> None:
    response = deliver(client, body)

    assert response.status_code in (200, 400), response.content
    # Whatever was kept is whole: an inbound row always has its provider id, a status event its message id.
    assert not Message.objects.filter(direction="inbound", provider_message_id="").exists()
    assert not StatusEvent.objects.filter(provider_message_id="").exists()
