"""Stand-ins for unreachable servers: a port where connecting hangs, and one that refuses."""

import select
import socket


class BlackHole:
    """A port where connecting hangs, so that clients meet their connect timeout.

    The socket listens with a backlog of 0 and never accepts. At that backlog Linux still queues
    one finished handshake, so a bare listener would let the first client in (to time out reading
    instead); the constructor therefore connects sockets of its own until one no longer gets
    through, which on Linux takes one. With the accept queue full, the kernel drops each new SYN
    rather than refusing it, and the client's connect() waits for retransmissions (the first
    after 1 s) that meet the same fate. Queued connections stay queued even once their clients
    close, so the hole stays shut for as long as the listener lives.
    """

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self._listener = socket.create_server((host, 0), backlog=0)
        self._fillers: list[socket.socket] = []
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(self._listener.getsockname())
            self._fillers.append(filler)
            # On loopback an accepted handshake completes within microseconds.
            _, connected, _ = select.select([], [filler], [], 0.1)
            if not connected:
                return  # this SYN was dropped: the queue is full
        self.close()
        raise RuntimeError("the accept queue never filled up")

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self._listener.getsockname()[0]}:{self.port}"

    def close(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._listener.close()

    def __enter__(self) -> "BlackHole":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def free_port(*, host: str = "127.0.0.1") -> int:
    """A port with nothing listening on it, so connecting is refused (until someone binds it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
