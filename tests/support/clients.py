"""Clients that misbehave on purpose, to show what they cost a server."""

import contextlib
import select
import socket
import threading


class SlowClients:
    """Connections that send a request a piece at a time, as a slowloris attack does.

    `headers` connections send a request line and then one more header line every `interval`
    seconds, never ending the header; `bodies` send a whole header declaring a 100,000-byte body
    and then one byte of it every `interval`. Use as a context manager: leaving it closes them.
    """

    BODY_HEADER = (
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    )

    def __init__(self, *, port: int, headers: int, bodies: int, interval: float) -> None:
        self.port = port
        self.counts = (headers, bodies)
        self.interval = interval
        self.connections: list[tuple[socket.socket, bytes]] = []
        # Rounds of one more piece on every connection sent so far.
        self.rounds = 0
        self._stop = threading.Event()
        self._trickler = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> "SlowClients":
        headers, bodies = self.counts
        for start, piece, count in (
            (b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: 1\r\n", headers),
            (self.BODY_HEADER, b"a", bodies),
        ):
            for _ in range(count):
                connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                connection.sendall(start)
                self.connections.append((connection, piece))
        self._trickler.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            for connection, piece in self.connections:
                # A connection the server closed is counted by answered().
                with contextlib.suppress(OSError):
                    connection.sendall(piece)
            self.rounds += 1

    def answered(self) -> int:
        """How many the server has answered or dropped, instead of waiting for the rest."""
        readable, _, _ = select.select(
            [connection for connection, _ in self.connections], [], [], 0
        )
        return len(readable)

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._trickler.join(timeout=10)
        for connection, _ in self.connections:
            connection.close()
