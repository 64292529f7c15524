"""The LLM backend: one small class with one hook per call, and a typed error.

``OpenAIBackend`` speaks Chat Completions and audio transcriptions through the official ``openai`` package,
so it works with OpenAI and any compatible server (Ollama, llama.cpp, vLLM, Azure). The package is
imported inside the methods: a process pays its memory only once it actually talks to a model.
"""

import email.utils
import json
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from openai import OpenAI

logger = logging.getLogger(__name__)

# 429, 5xx, timeouts and dropped connections are retried by the client itself, with exponential backoff
# that honours Retry-After; more than twice would only keep a worker (and the user) waiting.
MAX_RETRIES = 2
# A server asking us to wait longer than this is not retried: the user gets the fallback now rather than a
# reply minutes later, and the turn stays well inside the worker's handling lease.
MAX_RETRY_AFTER_SECONDS = 10.0
# OpenAI's own limit for one transcription upload.
MAX_AUDIO_BYTES = 25 * 1024 * 1024


def retry_after_seconds(headers: Any) -> float | None:
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            return None if parsed is None else email.utils.mktime_tz(parsed) - time.time()
    return None


def _no_long_waits(response: Any) -> None:
    """httpx response hook: the client obeys ``x-should-retry``, so a long Retry-After ends the retries."""
    wait = retry_after_seconds(response.headers)
    if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
        response.headers["x-should-retry"] = "false"


class BackendError(Exception):
    """The endpoint did not give an answer. ``reason`` is safe to store and log: no secret, no payload."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class RawToolCall:
    """A tool call exactly as the model wrote it; ``arguments`` is a JSON string that may be malformed."""

    id: str
    name: str
    arguments: str


@dataclass
class Completion:
    content: str | None
    tool_calls: list[RawToolCall] = field(default_factory=list)
    finish_reason: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_estimated: bool = False
    latency_ms: float = 0.0


def estimate_tokens(text: str) -> int:
    """A rough count (about four characters a token) for servers that report no usage."""
    return max(1, round(len(text) / 4))


class Backend:
    """What the turn needs from a model. Both hooks raise ``BackendError`` when no answer can be had."""

    def complete(
        self, *, messages: list[dict[str, Any]], tools: list[dict[str, Any]], tool_choice: str, max_tokens: int
    ) -> Completion:
        raise NotImplementedError

    def transcribe(self, *, audio: bytes, filename: str, mime_type: str, language: str | None) -> str:
        raise NotImplementedError


def is_openai_proper(base_url: str) -> bool:
    return not base_url or urlsplit(base_url).hostname == "api.openai.com"


class OpenAIBackend(Backend):
    def __init__(self, *, api_key: str, base_url: str, model: str, timeout: float) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.model = model
        self.timeout = timeout
        self._client: OpenAI | None = None

    def client(self) -> "OpenAI":
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self.api_key,
                # An explicit value, so the SDK never falls back to reading the environment itself.
                base_url=self.base_url or "https://api.openai.com/v1",
                timeout=self.timeout,
                max_retries=MAX_RETRIES,
                http_client=openai.DefaultHttpxClient(event_hooks={"response": [_no_long_waits]}),
            )
        return self._client

    def complete(
        self, *, messages: list[dict[str, Any]], tools: list[dict[str, Any]], tool_choice: str, max_tokens: int
    ) -> Completion:
        import openai

        # OpenAI's newer models refuse max_tokens; most compatible servers only know max_tokens.
        proper = is_openai_proper(self.base_url)
        started = time.perf_counter()
        try:
            response = self.client().chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                tools=cast(Any, tools) if tools else openai.omit,
                tool_choice=cast(Any, tool_choice) if tools else openai.omit,
                max_completion_tokens=max_tokens if proper else openai.omit,
                max_tokens=openai.omit if proper else max_tokens,
            )
        except openai.APIStatusError as exc:
            raise BackendError(f"{type(exc).__name__} {exc.status_code}", status=exc.status_code) from None
        except openai.OpenAIError as exc:
            raise BackendError(type(exc).__name__) from None
        latency_ms = (time.perf_counter() - started) * 1000
        if not response.choices:
            raise BackendError("empty response (no choices)")
        choice = response.choices[0]
        calls = [
            RawToolCall(id=call.id or "", name=call.function.name, arguments=call.function.arguments or "")
            for call in choice.message.tool_calls or []
            if call.type == "function"
        ]
        completion = Completion(
            content=choice.message.content,
            tool_calls=calls,
            finish_reason=str(choice.finish_reason or ""),
            model=response.model or self.model,
            latency_ms=latency_ms,
        )
        if response.usage is not None:
            completion.prompt_tokens = response.usage.prompt_tokens or 0
            completion.completion_tokens = response.usage.completion_tokens or 0
        else:
            completion.tokens_estimated = True
            completion.prompt_tokens = estimate_tokens(json.dumps(messages) + json.dumps(tools))
            written = (completion.content or "") + "".join(c.name + c.arguments for c in calls)
            completion.completion_tokens = estimate_tokens(written)
        return completion

    def transcribe(self, *, audio: bytes, filename: str, mime_type: str, language: str | None) -> str:
        import openai

        extra: dict[str, Any] = {"language": language} if language else {}
        try:
            result = self.client().audio.transcriptions.create(
                file=(filename, audio, mime_type), model=settings.ALFRED_TRANSCRIPTION_MODEL, **extra
            )
        except openai.APIStatusError as exc:
            raise BackendError(f"{type(exc).__name__} {exc.status_code}", status=exc.status_code) from None
        except openai.OpenAIError as exc:
            raise BackendError(type(exc).__name__) from None
        return str(getattr(result, "text", "") or "")


@lru_cache(maxsize=4)
def _backend_for(api_key: str, base_url: str, model: str, timeout: float) -> Backend:
    return OpenAIBackend(api_key=api_key, base_url=base_url, model=model, timeout=timeout)


def get_backend() -> Backend:
    """The backend for the current settings; built once per configuration and reused (connection pool)."""
    return _backend_for(
        settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL, settings.OPENAI_MODEL, settings.ALFRED_LLM_TIMEOUT_SECONDS
    )
