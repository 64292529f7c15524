"""A loopback stand-in for Slack's Socket Mode WebSocket server, for tests.

A real WebSocket server (PyPI ``websockets``) on 127.0.0.1 speaking Socket Mode as Slack documents it: the
Web API stand-in's ``apps.connections.open`` hands out ``ws://127.0.0.1:<port>/link/?ticket=…`` URLs
(``issue_url``), each ticket good for one connection (any other is refused at the handshake, 401); a new
connection is greeted with ``hello``; the test pushes envelopes (``events_api``, ``slash_commands``,
``interactive``) to the current connection and a ``disconnect`` (``refresh_requested``…) when it likes; every
acknowledgement (``{"envelope_id": …, "payload": …}``) is recorded with the time it arrived.

    with SlackSocketStandIn() as socket:
        slack.socket_mode(socket, app_token="xapp-…")   # the Web API stand-in opens connections to it
        envelope_id = socket.send_events_api(body)
        socket.wait_for_ack(envelope_id)
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "A0ALFRED01"


@dataclass
class Ack:
    envelope_id: str
    payload: Any
    at: float  # time.monotonic() when it arrived


class SlackSocketStandIn:
    def __init__(self) -> None:
        self.acks: list[Ack] = []
        self.sent_at: dict[str, float] = {}
        self.connections_opened = 0
        self._tickets: set[str] = set()
        self._current: ServerConnection | None = None
        self._connected = threading.Condition()
        self._lock = threading.Lock()
        self.server: Server = serve(
            self._serve, "127.0.0.1", 0, process_request=self._admit, ping_interval=None, max_size=2**20
        )
        self._thread = threading.Thread(target=self.server.serve_forever, name="slack-socket-standin", daemon=True)

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> "SlackSocketStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> "SlackSocketStandIn":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self.server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """A new single-use WebSocket URL, as ``apps.connections.open`` answers it."""
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"

    # --- pushing envelopes -----------------------------------------------------------------------------
    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Until ``count`` connections have been opened in all and one is open now."""
        with self._connected:
            if not self._connected.wait_for(
                lambda: self.connections_opened >= count and self._current is not None, timeout
            ):
                raise TimeoutError(f"{self.connections_opened} connection(s) opened, {count} expected")

    def send(self, message: dict[str, Any]) -> None:
        with self._connected:
            connection = self._current
        if connection is None:
            raise ConnectionError("no Socket Mode connection is open")
        if "envelope_id" in message:
            self.sent_at[message["envelope_id"]] = time.monotonic()
        connection.send(json.dumps(message))

    def send_events_api(self, body: dict[str, Any], *, retry_attempt: int = 0, envelope_id: str = "") -> str:
        envelope_id = envelope_id or str(uuid.uuid4())
        self.send(
            {
                "envelope_id": envelope_id,
                "payload": body,
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        return envelope_id

    def send_slash_command(self, fields: dict[str, Any]) -> str:
        envelope_id = str(uuid.uuid4())
        self.send(
            {"envelope_id": envelope_id, "payload": fields, "type": "slash_commands", "accepts_response_payload": True}
        )
        return envelope_id

    def send_interactive(self, payload: dict[str, Any]) -> str:
        envelope_id = str(uuid.uuid4())
        self.send(
            {"envelope_id": envelope_id, "payload": payload, "type": "interactive", "accepts_response_payload": False}
        )
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's warning that this connection is about to end; the client opens another."""
        self.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}})

    def drop(self) -> None:
        """Close the current connection without a word, as a network failure would."""
        with self._connected:
            connection, self._current = self._current, None
        if connection is not None:
            connection.close()

    # --- what happened -------------------------------------------------------------------------------
    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for ack in self.acks:
                    if ack.envelope_id == envelope_id:
                        return ack
            time.sleep(0.01)
        raise TimeoutError(f"envelope {envelope_id} was not acknowledged")

    def acked(self, envelope_id: str) -> bool:
        with self._lock:
            return any(ack.envelope_id == envelope_id for ack in self.acks)

    # --- serving -------------------------------------------------------------------------------------
    def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = request.path.partition("ticket=")[2].partition("&")[0]
        with self._lock:
            if ticket not in self._tickets:
                return Response(401, "Unauthorized", Headers(), b"invalid ticket")
            self._tickets.discard(ticket)  # one connection per ticket, as Slack's URLs are
        return None

    def _serve(self, connection: ServerConnection) -> None:
        with self._connected:
            self._current = connection
            self.connections_opened += 1
            self._connected.notify_all()
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-standin", "build_number": 1, "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        try:
            for raw in connection:
                message = json.loads(raw)
                if "envelope_id" in message:
                    with self._lock:
                        self.acks.append(Ack(message["envelope_id"], message.get("payload"), time.monotonic()))
        except ConnectionClosed:
            pass
        finally:
            with self._connected:
                if self._current is connection:
                    self._current = None
