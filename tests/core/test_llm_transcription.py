"""Voice notes through the same endpoint's audio/transcriptions, as the WhatsApp channel uses it."""

import pytest

from alfred.llm import TranscriptionUnavailable, transcribe, transcription_configured
from alfred.models import CompletionKind, LLMCompletion
from tests.standins.openai_api import Fail

VOICE_NOTE = b"OggS\x00\x02" + bytes(range(256)) * 8  # any bytes: the stand-in does not decode audio


@pytest.mark.django_db(transaction=True)
def test_a_voice_note_is_transcribed_by_the_endpoint(openai_api, settings):
    settings.ALFRED_TRANSCRIPTION_ENABLED = True
    settings.ALFRED_TRANSCRIPTION_MODEL = "whisper-1"
    openai_api.transcripts("  añade leche y pan  ")

    assert transcription_configured()
    text = transcribe(audio=VOICE_NOTE, filename="voice.ogg", mime_type="audio/ogg", language="es")

    assert text == "añade leche y pan"
    (sent,) = openai_api.audio_requests
    assert sent["model"] == "whisper-1"
    assert sent["language"] == "es"
    assert sent["file"] == {"filename": "voice.ogg", "content_type": "audio/ogg", "data": VOICE_NOTE}
    record = LLMCompletion.objects.get()
    assert record.kind == CompletionKind.TRANSCRIPTION and record.ok


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_that_keeps_failing_makes_transcription_unavailable_not_a_crash(openai_api, settings):
    settings.ALFRED_TRANSCRIPTION_ENABLED = True
    openai_api.transcripts(Fail(500), Fail(500), Fail(500))

    with pytest.raises(TranscriptionUnavailable, match="500"):
        transcribe(audio=VOICE_NOTE, filename="voice.ogg", mime_type="audio/ogg")

    assert len(openai_api.audio_requests) == 3
    assert LLMCompletion.objects.get().ok is False


@pytest.mark.django_db(transaction=True)
def test_a_failure_then_success_is_retried_once(openai_api, settings):
    settings.ALFRED_TRANSCRIPTION_ENABLED = True
    openai_api.transcripts(Fail(503), "hola")

    assert transcribe(audio=VOICE_NOTE, filename="v.ogg", mime_type="audio/ogg") == "hola"
    assert len(openai_api.audio_requests) == 2


def test_transcription_is_off_unless_enabled_and_an_endpoint_is_configured(settings):
    settings.OPENAI_API_KEY = ""
    settings.ALFRED_TRANSCRIPTION_ENABLED = True
    assert not transcription_configured()
    settings.OPENAI_API_KEY = "k"
    settings.ALFRED_TRANSCRIPTION_ENABLED = False
    assert not transcription_configured()

    with pytest.raises(TranscriptionUnavailable, match="not configured"):
        transcribe(audio=VOICE_NOTE, filename="voice.ogg", mime_type="audio/ogg")


@pytest.mark.django_db
def test_an_empty_voice_note_is_refused_before_any_request(openai_api, settings):
    settings.ALFRED_TRANSCRIPTION_ENABLED = True

    with pytest.raises(TranscriptionUnavailable, match="empty"):
        transcribe(audio=b"", filename="voice.ogg", mime_type="audio/ogg")

    assert openai_api.requests == []
