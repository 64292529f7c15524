"""A loopback TCP forwarder that drops every connection through it the moment the client sends given bytes.

Put it between Django and Postgres to make the database "go away" at an exact point of a request (e.g. when
the second message of a delivery is queried): a real connection loss, seen by psycopg as such.
"""

import socket
import threading
from types import TracebackType


class CuttingProxy:
    def __init__(self, target: tuple[str, int], trigger: bytes) -> None:
        self.target = target
        self.trigger = trigger
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="tcp-cut", daemon=True)

    def __enter__(self) -> "CuttingProxy":
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        seen = b""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if from_client:
                seen = (seen + data)[-(len(self.trigger) + 65536) :]
                if self.trigger in seen:
                    self.cut.set()
                    self._close_all()
                    return
            try:
                sink.sendall(data)
            except OSError:
                return
