"""A loopback stand-in for an OpenAI-compatible server, driven by the real ``openai`` client.

It speaks ``POST /v1/chat/completions`` and ``POST /v1/audio/transcriptions`` (multipart) over real HTTP
on 127.0.0.1 (port 0: ephemeral), answers from a script, and records every request it got so tests can
assert on the prompt and the tools that were offered.

    with OpenAIStandIn() as api:
        api.script(Calls(call("grocery_add", {"items": ["milk"]})), Reply("Added milk."))
        ... settings OPENAI_BASE_URL = api.base_url ...
        api.chat_requests[0]["tools"]

Tests get one from the ``openai_api`` fixture below (import it into a conftest.py).
Script steps: ``Reply(text)``, ``Calls(call(name, args, id=…), …)`` (args may be a raw string, e.g.
malformed JSON), ``Fail(status, retry_after=…)``, ``Slow(seconds, step)`` and ``Model(fn)`` — ``fn``
receives the request body and returns a step, to play a model that reacts to what it is shown. When
the script runs out, ``default`` answers (a 400 "script exhausted" unless set).

Token usage is counted the way a rough tokenizer would (about four characters a token, over the JSON
of the messages and tools sent, and of what the model wrote), so figures measured against the stand-in
track the size of what Alfred actually sends.
"""

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Body = dict[str, Any]


def count_tokens(text: str) -> int:
    return max(1, round(len(text) / 4))


@dataclass(frozen=True)
class ToolCallSpec:
    name: str
    arguments: str
    id: str


_ids = itertools.count(1)


def call(name: str, args: dict[str, Any] | str | None = None, *, id: str | None = None) -> ToolCallSpec:  # noqa: A002
    arguments = args if isinstance(args, str) else json.dumps(args or {})
    return ToolCallSpec(name=name, arguments=arguments, id=id if id is not None else f"call_{next(_ids):04d}")


@dataclass(frozen=True)
class Reply:
    text: str


@dataclass(frozen=True)
class Calls:
    calls: tuple[ToolCallSpec, ...]
    text: str | None = None

    def __init__(self, *calls: ToolCallSpec, text: str | None = None) -> None:
        object.__setattr__(self, "calls", tuple(calls))
        object.__setattr__(self, "text", text)


@dataclass(frozen=True)
class Fail:
    status: int
    retry_after: str | None = None
    message: str = "stand-in failure"


@dataclass(frozen=True)
class Slow:
    seconds: float
    step: "Step"


@dataclass(frozen=True)
class Model:
    decide: Callable[[Body], "Step"]


Step = Reply | Calls | Fail | Slow | Model


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Body
    at: float = field(default_factory=time.monotonic)


class OpenAIStandIn:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: deque[Step] = deque()
        self._transcripts: deque[str | Fail] = deque()
        self.default: Step = Fail(400, message="stand-in: script exhausted")
        self.requests: list[Recorded] = []
        self.usage: list[dict[str, int]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> "OpenAIStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    # --- scripting ---------------------------------------------------------------------------------

    def script(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    def transcripts(self, *results: str | Fail) -> None:
        with self._lock:
            self._transcripts.extend(results)

    @property
    def chat_requests(self) -> list[Body]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def audio_requests(self) -> list[Body]:
        return [r.body for r in self.requests if r.path.endswith("/audio/transcriptions")]

    def _next_step(self) -> Step:
        with self._lock:
            return self._steps.popleft() if self._steps else self.default

    # --- the wire ----------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; with Nagle on, each response would wait ~40 ms
            # for the client's delayed ACK and the figures would measure that instead of Alfred.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    if self.path.endswith("/chat/completions"):
                        body = json.loads(raw)
                        with standin._lock:
                            standin.requests.append(Recorded(self.path, headers, body))
                        self._play(standin._next_step(), body)
                    elif self.path.endswith("/audio/transcriptions"):
                        body = parse_multipart(headers.get("content-type", ""), raw)
                        with standin._lock:
                            standin.requests.append(Recorded(self.path, headers, body))
                            result = standin._transcripts.popleft() if standin._transcripts else "stand-in transcript"
                        if isinstance(result, Fail):
                            self._fail(result)
                        else:
                            self._json(200, {"text": result})
                    else:
                        self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request"}})
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def _play(self, step: Step, body: Body) -> None:
                while isinstance(step, Model | Slow):
                    if isinstance(step, Slow):
                        time.sleep(step.seconds)
                        step = step.step
                    else:
                        step = step.decide(body)
                if isinstance(step, Fail):
                    self._fail(step)
                    return
                content = step.text
                calls = step.calls if isinstance(step, Calls) else ()
                message: Body = {"role": "assistant", "content": content}
                if calls:
                    message["tool_calls"] = [
                        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                        for c in calls
                    ]
                prompt = count_tokens(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", [])))
                written = count_tokens((content or "") + "".join(c.name + c.arguments for c in calls))
                usage = {"prompt_tokens": prompt, "completion_tokens": written, "total_tokens": prompt + written}
                with standin._lock:
                    standin.usage.append(usage)
                self._json(
                    200,
                    {
                        "id": f"chatcmpl-{next(_ids)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "stand-in"),
                        "choices": [
                            {
                                "index": 0,
                                "message": message,
                                "finish_reason": "tool_calls" if calls else "stop",
                                "logprobs": None,
                            }
                        ],
                        "usage": usage,
                    },
                )

            def _fail(self, step: Fail) -> None:
                headers = {"Retry-After": step.retry_after} if step.retry_after is not None else {}
                kind = "rate_limit_exceeded" if step.status == 429 else "server_error"
                self._json(step.status, {"error": {"message": step.message, "type": kind, "code": None}}, headers)

            def _json(self, status: int, payload: Body, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def parse_multipart(content_type: str, raw: bytes) -> Body:
    """The form fields of a multipart/form-data body; the file as {"filename", "content_type", "data"}."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields: Body = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        if filename is not None:
            fields[str(name)] = {"filename": filename, "content_type": part.get_content_type(), "data": payload}
        else:
            fields[str(name)] = (payload or b"").decode()
    return fields


def llm_settings(api: OpenAIStandIn, **extra: Any) -> dict[str, Any]:
    """Settings that point Alfred's LLM layer at ``api`` (use with ``override_settings``)."""
    return {
        "OPENAI_API_KEY": "test-key-not-secret",
        "OPENAI_BASE_URL": api.base_url,
        "OPENAI_MODEL": "stand-in-1",
        **extra,
    }


@pytest.fixture
def openai_api(settings: Any) -> Iterator[OpenAIStandIn]:
    """A running stand-in with Alfred's LLM settings pointing at it. Import it into a conftest.py to use it
    (``from tests.standins.openai_api import openai_api``)."""
    from alfred.llm.backend import _backend_for

    with OpenAIStandIn() as api:
        for name, value in llm_settings(api).items():
            setattr(settings, name, value)
        yield api
    _backend_for.cache_clear()
