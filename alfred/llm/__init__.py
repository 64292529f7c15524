"""The one place that talks to an LLM. ``openai`` is imported only inside this package, and only when a
turn actually needs the model, so processes that never call it do not pay its memory.

Until an endpoint is configured the brain skips this layer and answers with the fallback.
"""

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from alfred.models import Member, Message
    from alfred.registry import ToolContext

logger = logging.getLogger(__name__)


@dataclass
class LLMAnswer:
    """The outcome of a turn. An empty ``text`` means the brain should answer with its fallback;
    ``error`` is stored on the message either way, so a degraded answer is never silent."""

    text: str
    tool_calls: list[str] = field(default_factory=list)
    path: str = "llm"
    error: str = ""


def llm_configured() -> bool:
    return bool(settings.OPENAI_API_KEY)


def llm_answer(message: "Message", ctx: "ToolContext") -> LLMAnswer | None:
    """Run one tool-calling turn for ``message``. None when the LLM is not configured; when it is down or
    over budget, an answer saying so (``path`` fallback, ``error`` set)."""
    if not llm_configured():
        return None
    from alfred.llm.turn import run_turn

    return run_turn(message, ctx)


def summarise(*, text: str, source: str, member: "Member", max_chars: int = 4000, max_tokens: int = 80) -> str | None:
    """One plain sentence saying what an outsider's text (an email) wants, in the member's language; None when
    the LLM is not configured, over budget or down (the caller keeps its own extractive summary). The text is
    treated as untrusted data: no tools are offered and nothing in it is obeyed."""
    if not llm_configured():
        return None
    from alfred.llm.summary import summary_run

    return summary_run(text=text, source=source, member=member, max_chars=max_chars, max_tokens=max_tokens)


class TranscriptionUnavailable(Exception):
    """Transcription is not configured, or the endpoint failed; the caller tells the user politely."""


def transcription_configured() -> bool:
    return bool(settings.ALFRED_TRANSCRIPTION_ENABLED and settings.OPENAI_API_KEY)


def transcribe(*, audio: bytes, filename: str, mime_type: str, language: str | None = None) -> str:
    """The text of a voice note. Raises ``TranscriptionUnavailable`` when it cannot be had."""
    if not transcription_configured():
        raise TranscriptionUnavailable("transcription is not configured")
    from alfred.llm.transcription import transcription_run

    return transcription_run(audio=audio, filename=filename, mime_type=mime_type, language=language)
