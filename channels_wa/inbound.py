"""WhatsApp's own work on an inbound message, in the worker before the brain (the channel's preparer).

- Kinds that need no answer (reactions, stickers, deletions, system notices) end here, silently.
- A member's message is marked as read with a typing indicator (one Graph API call), when enabled.
- A voice note is downloaded and transcribed when transcription is configured; its text then goes to the
  brain like a typed message. Otherwise the member is asked, politely, to type.
- Kinds Alfred cannot act on (a picture without caption, a location, contacts…) get a short explanation.

Strangers get nothing from here (no read receipt, no transcription that costs money): the brain sends them
its one polite refusal.
"""

import logging
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from alfred import llm
from alfred.answer import Answer
from alfred.models import Message, Path, Status

logger = logging.getLogger(__name__)

SILENT_KINDS = frozenset({"reaction", "sticker", "revoke", "system"})
CAPTIONED_KINDS = frozenset({"image", "video", "document"})
# WhatsApp caps audio at 16 MB; anything bigger is not a voice note.
MAX_AUDIO_BYTES = 16 * 1024 * 1024
AUDIO_EXTENSIONS = {"audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac", "audio/amr": "amr"}


def prepare(message: Message) -> Answer | None:
    if message.kind in SILENT_KINDS:
        if message.kind == "system":
            logger.info("whatsapp system notice in conversation %s: %s", message.conversation_id, message.text[:200])
        return Answer(text="", path="", status=Status.IGNORED)
    member = message.sender
    if member is None or not member.is_active:
        return None
    message.language = member.language
    mark_read(message)
    with translation.override(member.language):
        if message.kind == "audio":
            return transcribe_voice_note(message)
        if message.kind in CAPTIONED_KINDS and message.text.strip():
            return None
        if message.kind == "edit":
            return _polite(_("I only act on new messages, not edits. Please send the change as a new message."))
        if message.kind not in ("text", "interactive"):
            return _polite(_("I can only read text messages and voice notes for now. Please write it as text."))
    return None


def _polite(text: str) -> Answer:
    return Answer(text=text, path=Path.FALLBACK)


def mark_read(message: Message) -> None:
    """Blue ticks and "typing…" while Alfred works; best effort, never in the way of the answer."""
    from django.conf import settings

    if not settings.WHATSAPP_MARK_AS_READ or not message.provider_message_id:
        return
    from channels_wa.client import whatsapp_client

    try:
        whatsapp_client().indicate_typing(message_id=message.provider_message_id)
    except Exception as exc:  # a read receipt is not worth failing a message for
        logger.warning("whatsapp: mark-as-read for message %s failed (%s)", message.pk, type(exc).__name__)


def _audio_of(message: Message) -> dict[str, Any]:
    raw = message.raw.get("message", {}) if isinstance(message.raw, dict) else {}
    audio = raw.get("audio") if isinstance(raw, dict) else None
    return audio if isinstance(audio, dict) else {}


def transcribe_voice_note(message: Message) -> Answer | None:
    if not llm.transcription_configured():
        return _polite(_("Voice notes need transcription, which is not set up here. Please type your message."))
    audio = _audio_of(message)
    media_id = str(audio.get("id", ""))
    mime_type = str(audio.get("mime_type", "audio/ogg")).split(";")[0].strip() or "audio/ogg"
    try:
        content = download_media(media_id)
        text = llm.transcribe(
            audio=content,
            filename=f"voice-note.{AUDIO_EXTENSIONS.get(mime_type, 'ogg')}",
            mime_type=mime_type,
            language=message.language or None,
        )
    except llm.TranscriptionUnavailable:
        return _polite(_("I could not listen to your voice note just now. Please type your message."))
    except Exception as exc:  # download failures (network, Meta errors, too big) end the same polite way
        logger.warning("whatsapp: voice note of message %s not fetched (%s)", message.pk, type(exc).__name__)
        return _polite(_("I could not listen to your voice note just now. Please type your message."))
    text = text.strip()
    if not text:
        return _polite(_("I could not make out any words in your voice note. Please type your message."))
    message.text = text
    Message.objects.filter(pk=message.pk).update(text=text)
    return None


def download_media(media_id: str) -> bytes:
    """The bytes of one inbound media item: its URL from the Graph API, then the file (both with the token)."""
    from channels_wa.client import whatsapp_client

    if not media_id:
        raise ValueError("the message names no media id")
    client = whatsapp_client()
    media = client.get_media_url(media_id)
    if media.file_size and media.file_size > MAX_AUDIO_BYTES:
        raise ValueError(f"media of {media.file_size} bytes is too big")
    content = client.get_media_bytes(media.url)
    if len(content) > MAX_AUDIO_BYTES:
        raise ValueError("media too big")
    return content
