"""The worker-side preparation of inbound WhatsApp messages: read receipts and voice notes."""

import pytest

from alfred import llm
from alfred.models import Direction, Message, Status
from tests.channels_wa.conftest import deliver, sample, values

pytestmark = [pytest.mark.home, pytest.mark.django_db(transaction=True)]

OGG = b"OggS\x00\x02" + b"\x00" * 64


def voice_note(media_id: str = "1234567890987654321") -> dict:
    body = sample("message", "voice")
    message = values(body)[0]["messages"][0]
    message["id"] = f"wamid.voice.{media_id}"
    message["audio"]["id"] = media_id
    return body


class Transcriber:
    """Stands in for the transcription endpoint behind ``alfred.llm`` (implemented on another branch)."""

    def __init__(self, text: str = "", error: Exception | None = None) -> None:
        self.text = text
        self.error = error
        self.calls: list[dict] = []

    def __call__(self, *, audio: bytes, filename: str, mime_type: str, language: str | None = None) -> str:
        self.calls.append({"audio": audio, "filename": filename, "mime_type": mime_type, "language": language})
        if self.error:
            raise self.error
        return self.text


@pytest.fixture
def transcription(monkeypatch) -> Transcriber:
    transcriber = Transcriber(text="ping")
    monkeypatch.setattr(llm, "transcription_configured", lambda: True)
    monkeypatch.setattr(llm, "transcribe", transcriber)
    return transcriber


def test_a_voice_note_is_downloaded_transcribed_and_answered_like_text(client, wa_settings, graph, ana, transcription):
    graph.add_media("1234567890987654321", OGG, "audio/ogg")

    deliver(client, voice_note())

    assert transcription.calls == [
        {"audio": OGG, "filename": "voice-note.ogg", "mime_type": "audio/ogg", "language": "en"}
    ]
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.text == "ping" and inbound.status == Status.HANDLED
    assert [s["text"]["body"] for s in graph.sends()] == ["pong"]
    media_calls = [r for r in graph.requests if r.method == "GET"]
    assert [r.path for r in media_calls] == ["/v23.0/1234567890987654321", "/media/1234567890987654321"]
    assert all(r.headers["authorization"].startswith("Bearer ") for r in media_calls)


def test_a_voice_note_whose_transcription_fails_gets_a_polite_reply(client, wa_settings, graph, ana, transcription):
    graph.add_media("1234567890987654321", OGG, "audio/ogg")
    transcription.error = llm.TranscriptionUnavailable("endpoint down")

    deliver(client, voice_note())

    (sent,) = graph.sends()
    assert sent["text"]["body"].startswith("I could not listen to your voice note")


def test_a_voice_note_whose_media_is_gone_gets_a_polite_reply(client, wa_settings, graph, ana, transcription):
    deliver(client, voice_note("no-such-media"))

    assert transcription.calls == []
    (sent,) = graph.sends()
    assert sent["text"]["body"].startswith("I could not listen to your voice note")


def test_a_stranger_voice_note_is_never_downloaded_or_transcribed(client, wa_settings, graph, transcription):
    graph.add_media("1234567890987654321", OGG, "audio/ogg")

    deliver(client, voice_note())

    assert transcription.calls == []
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
