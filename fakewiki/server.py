"""A local stand-in for a MediaWiki site, for tests, benchmarks and demos (standard library only).

Pages live at `/wiki/<title>` and `/w/index.php?title=<title>`. Titles are percent-decoded as
UTF-8 and underscores become spaces, as MediaWiki does. A title answers 404 when it starts with
"Missing" or contains "does not exist" (both case-insensitive); a title "Redirect to <target>"
answers 301 to /wiki/<target>; every other title answers 200 with a small HTML page. Any other
path answers 404 with a short text body. Titles of the form `Fault:<mode>` misbehave instead, as
fakewiki/faults.py lists (errors, redirects, stalls, resets, malformed answers), so one
batch can mix healthy pages and faults.

`/w/api.php` is a MediaWiki Action API that checks up to 50 titles per request
(`action=query&titles=A|B|C&redirects=1`, by GET or form POST): fakewiki/api.py states
its rules, which agree with the pages' (missing titles, redirects).

Knobs, plain attributes that may be changed while the server runs:
- `latency_ms`: how long to wait before answering each request, to mimic a distant wiki.
- `head_status`: when set (e.g. 405), HEAD requests answer that status with no body, as some
  servers do, so clients must fall back to GET.
- `retry_after_seconds`, `flaky_failures`, `slow_seconds`: tune the fault modes.
- `maxlag_failures` (default 0): of the api.php requests since the last reset(), the first
  `maxlag_failures` answer a `maxlag` error if they carry `maxlag`, as a lagging wiki does, with
  "Retry-After: <maxlag_retry_after>" (default 1).

Counters (`requests_total`, `requests_by_title`, `requests_by_method`, `connections_total`,
`peak_concurrency`, `peak_concurrency_by_host` keyed by the requests' Host header (e.g.
"127.0.0.1:8001"), and for api.php `api_requests`, `api_titles_total` and `api_titles_by_title`),
`last_user_agent` and `last_accept_encoding` let tests see what clients really did. Requests to
api.php count in `requests_total`, `requests_by_method` and both peaks, but the titles they ask
about count only in `api_titles_by_title` (titles as sent): `requests_by_title` stays the count
of page requests per title.

A client in another process reads the counters at `GET /__fakewiki/stats` and zeroes them with
`POST /__fakewiki/reset` (JSON answers; these requests are not counted themselves).

Two stand-ins for unreachable servers complete the set: `BlackHole`, a port where connecting
hangs until the client's connect timeout, and `free_port()`, a port that refuses connections.
"""

import contextlib
import html
import json
import select
import socket
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote

from fakewiki import api
from fakewiki.faults import answer_fault


@dataclass(frozen=True)
class Request:
    method: str
    title: str | None  # None when the path names no page
    path: str = ""
    query: str = ""
    form: str = ""  # the body of a form POST
    accept_encoding: str | None = None


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def page_title(target: str) -> str | None:
    """The page title a request target names, decoded the way MediaWiki decodes it."""
    path, _, query = target.partition("?")
    if path.startswith("/wiki/"):
        raw = unquote(path.removeprefix("/wiki/"), encoding="utf-8", errors="replace")
    elif path == "/w/index.php":
        raw = parse_qs(query, encoding="utf-8", errors="replace").get("title", [""])[0]
    else:
        return None
    return raw.replace("_", " ")


def is_missing(title: str) -> bool:
    folded = title.casefold()
    return folded.startswith("missing") or "does not exist" in folded


# --- Responders --------------------------------------------------------------------------------
# Tried in order; the first that returns a Reply answers. `Fault:<mode>` titles never get here:
# fakewiki.faults answers them, HEAD included, whatever `head_status` says.


def rejected_head(wiki: "FakeWiki", request: Request) -> Reply | None:
    if request.method == "HEAD" and wiki.head_status is not None:
        return Reply(wiki.head_status)
    return None


def api_query(wiki: "FakeWiki", request: Request) -> Reply | None:
    """Answer /w/api.php as fakewiki.api says, with this wiki's counters and knobs."""
    # The responder lives here so that fakewiki.api needs nothing from this module (which
    # imports it): either module may then be imported first.
    if request.path != api.API_PATH:
        return None
    params = api.params_parse(request.query, request.form)
    number = wiki._api_request_counted(api.titles_sent(params))
    answer = api.api_answer(
        params,
        lagged=number <= wiki.maxlag_failures,
        retry_after=wiki.maxlag_retry_after,
        is_missing=is_missing,
    )
    body, headers = api.answer_encode(answer, accept_encoding=request.accept_encoding)
    return Reply(200, body, api.CONTENT_TYPE, headers)


def redirect_page(wiki: "FakeWiki", request: Request) -> Reply | None:
    """A "Redirect to <target>" page leads where api.php says it does."""
    if request.title is None:
        return None
    try:
        redirect = api.redirect_target(api.title_parse(request.title))
    except api.InvalidTitle:
        return None
    if redirect is None:
        return None
    target, fragment = redirect
    location = "/wiki/" + quote(target.text.replace(" ", "_"), safe="/:(),")
    if fragment:
        location += "#" + quote(fragment.replace(" ", "_"), safe="/:(),")
    return Reply(301, headers=(("Location", location),))


def wiki_page(wiki: "FakeWiki", request: Request) -> Reply | None:
    if request.title is None:
        return None
    status = 404 if is_missing(request.title) else 200
    heading = html.escape(request.title)
    text = "This page does not exist." if status == 404 else "A page of the fake wiki."
    body = (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{heading} - Fake wiki</title>'
        f"</head><body><h1>{heading}</h1><p>{text}</p></body></html>\n"
    )
    return Reply(status, body.encode(), "text/html; charset=utf-8")


RESPONDERS: tuple[Callable[["FakeWiki", Request], Reply | None], ...] = (
    rejected_head,
    api_query,
    redirect_page,
    wiki_page,
)


# GET <prefix>stats answers snapshot() as JSON; POST <prefix>reset zeroes the counters first.
# Neither is counted, so a benchmark can read the counters of a fake wiki in another process.
CONTROL_PREFIX = "/__fakewiki/"


def respond(wiki: "FakeWiki", request: Request) -> Reply:
    for responder in RESPONDERS:
        reply = responder(wiki, request)
        if reply is not None:
            return reply
    return Reply(404, b"Not found\n")


# --- HTTP plumbing -----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, so clients' connection pools are exercised for real.
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes; with Nagle's algorithm and the client's delayed ACK
    # each keep-alive request would stall 40 ms.
    disable_nagle_algorithm = True
    server: "_Server"

    def setup(self) -> None:
        super().setup()
        self.server.wiki._connection_opened(self.connection)

    def finish(self) -> None:
        self.server.wiki._connection_closed(self.connection)
        super().finish()

    def handle(self) -> None:
        # A client that hangs up mid-answer is normal for a test server, not an error to report.
        with contextlib.suppress(ConnectionError):
            super().handle()

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: benchmarks send thousands of requests."""

    def do_GET(self) -> None:
        wiki = self.server.wiki
        path, _, query = self.path.partition("?")
        if path.startswith(CONTROL_PREFIX):
            self._control(wiki, path.removeprefix(CONTROL_PREFIX))
            return
        request = Request(
            self.command,
            page_title(self.path),
            path=path,
            query=query,
            form=self._form(),
            accept_encoding=self.headers.get("Accept-Encoding"),
        )
        with wiki._tracking(
            request, user_agent=self.headers.get("User-Agent"), host=self.headers.get("Host", "")
        ) as attempt:
            time.sleep(wiki.latency_ms / 1000)
            if answer_fault(self, wiki, request.title, attempt=attempt):
                return
            reply = respond(wiki, request)
        # Sent after the request stops counting as in progress: a client may send its next
        # request the moment it has these bytes, and must not be seen overlapping this one.
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if request.method != "HEAD":
            self.wfile.write(reply.body)

    do_HEAD = do_POST = do_GET

    def _control(self, wiki: "FakeWiki", action: str) -> None:
        """Counters for a client in another process (a benchmark), outside the counters."""
        self._form()
        if action == "reset" and self.command == "POST":
            wiki.reset()
        elif action != "stats":
            self.send_error(404)
            return
        body = json.dumps(wiki.snapshot()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _form(self) -> str:
        """The body if it is a form, else ""; any body is read, so the next request can be."""
        length = self.headers.get("Content-Length", "0")
        body = self.rfile.read(int(length)) if length.isdigit() else b""
        if self.headers.get_content_type() != "application/x-www-form-urlencoded":
            return ""
        return body.decode("utf-8", errors="replace")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # benchmarks open 64+ connections at once

    def __init__(self, address: tuple[str, int], wiki: "FakeWiki") -> None:
        self.wiki = wiki
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which stalls on machines without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


# --- The server --------------------------------------------------------------------------------


class FakeWiki:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency_ms: int = 0) -> None:
        self.latency_ms = latency_ms
        self.head_status: int | None = None
        self.retry_after_seconds = 1
        self.flaky_failures = 1
        self.slow_seconds = 5.0
        self.maxlag_failures = 0
        self.maxlag_retry_after = 1
        # Set once the server begins to stop, so that fault modes that wait stop waiting.
        self.stopping = threading.Event()
        self.last_user_agent: str | None = None
        self.last_accept_encoding: str | None = None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._in_progress_by_host: Counter[str] = Counter()
        self.reset()
        # Bound now, so `port` is known (port=0 picks a free one) before anything is served.
        self._server = _Server((host, port), self)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    @property
    def wiki_url(self) -> str:
        return f"{self.url}/wiki/"

    def start(self) -> "FakeWiki":
        # A short poll interval keeps stop() quick: shutdown waits for the loop's next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (KeyboardInterrupt propagates)."""
        try:
            self._server.serve_forever()
        finally:
            self._close()

    def __enter__(self) -> "FakeWiki":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Zero the counters (new Counter objects: re-read them); the knobs keep their values."""
        with self._lock:
            self.requests_total = 0
            self.requests_by_title: Counter[str] = Counter()
            self.requests_by_method: Counter[str] = Counter()
            self.connections_total = 0
            self.peak_concurrency = 0
            self.peak_concurrency_by_host: dict[str, int] = {}
            self.api_requests = 0
            self.api_titles_total = 0
            self.api_titles_by_title: Counter[str] = Counter()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "requests_total": self.requests_total,
                "requests_by_method": dict(self.requests_by_method),
                "requests_by_title": dict(self.requests_by_title),
                "connections_total": self.connections_total,
                "connections_open": len(self._connections),
                "peak_concurrency": self.peak_concurrency,
                "peak_concurrency_by_host": dict(self.peak_concurrency_by_host),
                "api_requests": self.api_requests,
                "api_titles_total": self.api_titles_total,
                "api_titles_by_title": dict(self.api_titles_by_title),
            }

    @contextlib.contextmanager
    def _tracking(self, request: Request, *, user_agent: str | None, host: str) -> Iterator[int]:
        """Count the request while it is answered; yields its number among its title's requests."""
        with self._lock:
            self.requests_total += 1
            self.requests_by_method[request.method] += 1
            if request.title is not None:
                self.requests_by_title[request.title] += 1
            attempt = self.requests_by_title[request.title] if request.title is not None else 0
            self.last_user_agent = user_agent
            self.last_accept_encoding = request.accept_encoding
            self._in_progress_by_host[host] += 1
            self.peak_concurrency = max(self.peak_concurrency, self._in_progress_by_host.total())
            self.peak_concurrency_by_host[host] = max(
                self.peak_concurrency_by_host.get(host, 0), self._in_progress_by_host[host]
            )
        try:
            yield attempt
        finally:
            with self._lock:
                self._in_progress_by_host[host] -= 1

    def _api_request_counted(self, titles: list[str]) -> int:
        """Count an api.php request and the titles it asks about; returns its number."""
        with self._lock:
            self.api_requests += 1
            self.api_titles_total += len(titles)
            self.api_titles_by_title.update(titles)
            return self.api_requests

    def _connection_opened(self, connection: socket.socket) -> None:
        with self._lock:
            self.connections_total += 1
            self._connections.add(connection)

    def _connection_closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _close(self) -> None:
        # Wake handler threads waiting in a fault mode or parked on idle keep-alive connections,
        # so a stopped server answers nobody, then release the listening socket (which waits for
        # those threads).
        self.stopping.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()


# --- Unreachable servers -----------------------------------------------------------------------


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
