"""Voice notes to text through the configured endpoint's ``audio/transcriptions``."""

import logging
import time

from django.conf import settings

from alfred.llm import TranscriptionUnavailable
from alfred.llm.backend import MAX_AUDIO_BYTES, BackendError, get_backend
from alfred.models import CompletionKind, LLMCompletion

logger = logging.getLogger(__name__)


def transcription_run(*, audio: bytes, filename: str, mime_type: str, language: str | None) -> str:
    if not audio:
        raise TranscriptionUnavailable("the voice note is empty")
    if len(audio) > MAX_AUDIO_BYTES:
        raise TranscriptionUnavailable(f"the voice note is larger than {MAX_AUDIO_BYTES // (1024 * 1024)} MB")
    started = time.perf_counter()
    record = LLMCompletion(kind=CompletionKind.TRANSCRIPTION, model=settings.ALFRED_TRANSCRIPTION_MODEL)
    try:
        text = get_backend().transcribe(audio=audio, filename=filename, mime_type=mime_type, language=language)
    except BackendError as exc:
        record.ok, record.error = False, exc.reason[:200]
        logger.warning("transcription failed: %s", exc.reason)
        raise TranscriptionUnavailable(f"the transcription endpoint failed ({exc.reason})") from None
    finally:
        record.latency_ms = (time.perf_counter() - started) * 1000
        record.save()
    text = text.strip()
    if not text:
        raise TranscriptionUnavailable("the transcription came back empty")
    return text
