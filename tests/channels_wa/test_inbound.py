"""The worker-side preparation of inbound WhatsApp messages: read receipts and voice notes.

Voice notes go through the real ``alfred.llm.transcribe`` and the real ``openai`` client to the loopback
OpenAI-compatible stand-in (``/v1/audio/transcriptions``); only the remote services are stood in for."""

import pytest

from alfred.models import CompletionKind, Direction, LLMCompletion, Message, Path, Status
from tests.channels_wa.conftest import deliver, sample, values
from tests.standins.openai_api import Fail, OpenAIStandIn

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

OGG = b"OggS\x00\x02" + b"\x00" * 64
POLITE = "I could not listen to your voice note"


def voice_note(media_id: str = "1234567890987654321") -> dict:
    body = sample("message", "voice")
    message = values(body)[0]["messages"][0]
    message["id"] = f"wamid.voice.{media_id}"
    message["audio"]["id"] = media_id
    return body


@pytest.fixture
def transcription(openai_api: OpenAIStandIn, settings) -> OpenAIStandIn:
    """Transcription switched on the way an operator does it: an endpoint (the stand-in, set up by
    ``openai_api``) and ``ALFRED_TRANSCRIPTION_ENABLED``."""
    settings.ALFRED_TRANSCRIPTION_ENABLED = True
    settings.ALFRED_TRANSCRIPTION_MODEL = "whisper-1"
    return openai_api


def test_a_voice_note_is_downloaded_transcribed_and_answered_like_text(client, wa_settings, graph, ana, transcription):
    graph.add_media("1234567890987654321", OGG, "audio/ogg")
    transcription.transcripts("ping")

    deliver(client, voice_note())

    (sent_for_transcription,) = transcription.audio_requests
    assert sent_for_transcription == {
        "file": {"filename": "voice-note.ogg", "content_type": "audio/ogg", "data": OGG},
        "model": "whisper-1",
        "language": "en",
    }
    (request,) = [r for r in transcription.requests if r.path.endswith("/audio/transcriptions")]
    assert request.headers["authorization"] == "Bearer test-key-not-secret"
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.text == "ping" and inbound.status == Status.HANDLED
    assert [s["text"]["body"] for s in graph.sends()] == ["pong"]
    media_calls = [r for r in graph.requests if r.method == "GET"]
    assert [r.path for r in media_calls] == ["/v23.0/1234567890987654321", "/media/1234567890987654321"]
    assert all(r.headers["authorization"].startswith("Bearer ") for r in media_calls)
    record = LLMCompletion.objects.get()
    assert record.kind == CompletionKind.TRANSCRIPTION and record.ok


def test_a_voice_note_whose_transcription_fails_gets_a_polite_reply(client, wa_settings, graph, ana, transcription):
    graph.add_media("1234567890987654321", OGG, "audio/ogg")
    # The endpoint is down: every attempt (the first and the client's two retries) gets a 503.
    transcription.transcripts(*[Fail(503, retry_after="0.01")] * 3)

    deliver(client, voice_note())

    assert len(transcription.audio_requests) == 3
    (sent,) = graph.sends()
    assert sent["text"]["body"].startswith(POLITE)
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.status == Status.HANDLED and inbound.path == Path.FALLBACK
    record = LLMCompletion.objects.get()
    assert record.kind == CompletionKind.TRANSCRIPTION and not record.ok and "503" in record.error


def test_a_voice_note_whose_media_is_gone_gets_a_polite_reply(client, wa_settings, graph, ana, transcription):
    deliver(client, voice_note("no-such-media"))

    assert transcription.audio_requests == []
    (sent,) = graph.sends()
    assert sent["text"]["body"].startswith(POLITE)


def test_a_stranger_voice_note_is_never_downloaded_or_transcribed(client, wa_settings, graph, transcription):
    graph.add_media("1234567890987654321", OGG, "audio/ogg")

    deliver(client, voice_note())

    assert transcription.requests == []
    assert [r for r in graph.requests if r.method == "GET"] == []
    (sent,) = graph.sends()
    assert "only talk to members" in sent["text"]["body"]


def test_voice_notes_without_transcription_get_the_please_type_reply_in_the_member_language(
    client, wa_settings, graph, ana
):
    ana.language = "es"
    ana.save()

    deliver(client, voice_note())

    (sent,) = graph.sends()
    assert sent["text"]["body"].startswith("Las notas de voz necesitan transcripción")


def test_an_endpoint_without_transcription_enabled_is_not_asked_and_the_member_is_asked_to_type(
    client, wa_settings, graph, ana, openai_api
):
    graph.add_media("1234567890987654321", OGG, "audio/ogg")

    deliver(client, voice_note())

    assert openai_api.requests == []
    assert [r for r in graph.requests if r.method == "GET"] == []
    (sent,) = graph.sends()
    assert sent["text"]["body"].startswith("Voice notes need transcription")


def test_with_read_receipts_off_nothing_but_the_reply_goes_out(client, wa_settings, graph, ana):
    wa_settings.WHATSAPP_MARK_AS_READ = False
    body = sample("message", "text")
    values(body)[0]["messages"][0]["id"] = "wamid.no-receipt"

    deliver(client, body)

    assert graph.read_receipts() == []
    assert len(graph.sends()) == 1


def test_a_failing_read_receipt_does_not_stop_the_reply(client, wa_settings, graph, ana):
    from tests.standins.graph_api import graph_error

    graph.script(lambda request: not request.is_send, graph_error(131000, "Something went wrong", status=500))
    body = sample("message", "text")
    values(body)[0]["messages"][0]["id"] = "wamid.receipt-fails"

    deliver(client, body)

    assert len(graph.sends()) == 1
    assert Message.objects.get(direction=Direction.INBOUND).status == Status.HANDLED


def test_voice_notes_past_the_members_rate_are_neither_downloaded_nor_transcribed(
    client, wa_settings, graph, ana, transcription, settings
):
    """The message-rate limit (alfred/throttle.py) is checked before the channel's preparer: a flood of voice
    notes costs one download and one transcription per note within the limit, none past it."""
    settings.ALFRED_MEMBER_MESSAGES_PER_MINUTE = 2
    for n in range(5):
        graph.add_media(f"90000{n}", OGG, "audio/ogg")
    transcription.transcripts("ping", "ping")

    for n in range(5):
        deliver(client, voice_note(f"90000{n}"))

    assert len(transcription.audio_requests) == 2
    assert len([r for r in graph.requests if r.method == "GET"]) == 2 * 2  # media URL, then the media itself
    replies = [s["text"]["body"] for s in graph.sends()]
    assert replies[:2] == ["pong", "pong"] and len(replies) == 3 and "faster than I can follow" in replies[2]
    inbound = Message.objects.filter(direction=Direction.INBOUND).order_by("id")
    assert [m.status for m in inbound] == [Status.HANDLED] * 5
    assert [m.error.startswith("throttled") for m in inbound] == [False, False, True, True, True]
