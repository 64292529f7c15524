"""The one place that talks to an LLM. ``openai`` is imported only inside this package, and only when a
turn actually needs the model, so processes that never call it do not pay its memory.

Until an endpoint is configured the brain skips this layer and answers with the fallback.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from alfred.models import Message
    from alfred.registry import ToolContext


@dataclass
class LLMAnswer:
    text: str
    tool_calls: list[str] = field(default_factory=list)


def llm_configured() -> bool:
    return bool(settings.OPENAI_API_KEY)


def llm_answer(message: "Message", ctx: "ToolContext") -> LLMAnswer | None:
    """Run one tool-calling turn for ``message``; None when the LLM cannot help (not configured, down)."""
    return None


class TranscriptionUnavailable(Exception):
    """Transcription is not configured, or the endpoint failed; the caller tells the user politely."""


def transcription_configured() -> bool:
    return False


def transcribe(*, audio: bytes, filename: str, mime_type: str, language: str | None = None) -> str:
    """The text of a voice note. Raises ``TranscriptionUnavailable`` when it cannot be had."""
    raise TranscriptionUnavailable("transcription is not configured")
