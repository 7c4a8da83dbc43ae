"""The fake wiki's HTTP plumbing: the threaded server, and the handler that counts each request,
lets faults and responders answer it, and serves the counters and page edits to other
processes."""

from __future__ import annotations

import contextlib
import json
import socketserver
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from fakewiki.faults import answer_fault
from fakewiki.responders import Request, page_title, request_counted, respond

if TYPE_CHECKING:
    from fakewiki.server import FakeWiki

# GET <prefix>stats answers snapshot() as JSON; POST <prefix>reset zeroes the counters first;
# POST <prefix>pages edits pages as its JSON body asks and answers the edits. None is counted, so
# a benchmark or a test can drive a fake wiki in another process.
CONTROL_PREFIX = "/__fakewiki/"
EDIT_KEYS = frozenset({"delete", "create", "clear"})


class WikiRequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, so clients' connection pools are exercised for real.
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes; with Nagle's algorithm and the client's delayed ACK
    # each keep-alive request would stall 40 ms.
    disable_nagle_algorithm = True
    server: WikiHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.wiki.connection_opened(self.connection)

    def finish(self) -> None:
        self.server.wiki.connection_closed(self.connection)
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
        with wiki.request_tracked(
            method=request.method,
            title=request.title,
            user_agent=self.headers.get("User-Agent"),
            accept_encoding=request.accept_encoding,
            host=self.headers.get("Host", ""),
        ) as attempt:
            time.sleep(wiki.latency_ms / 1000)
            request = request_counted(wiki, request, attempt=attempt)
            if answer_fault(self, wiki, request.fault, attempt=request.attempt):
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

    def _control(self, wiki: FakeWiki, action: str) -> None:
        """Counters and page edits for a client in another process, outside the counters."""
        sent = self._body()
        status = 200
        if action == "pages" and self.command == "POST":
            try:
                answer = wiki.pages_edit(**edits_requested(sent)).snapshot()
            except ValueError as refused:
                status, answer = 400, {"error": str(refused)}
        elif action == "reset" and self.command == "POST":
            wiki.reset()
            answer = wiki.snapshot()
        elif action == "stats":
            answer = wiki.snapshot()
        else:
            self.send_error(404)
            return
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        """The whole body, read so that the next request on the connection can be."""
        length = self.headers.get("Content-Length", "0")
        return self.rfile.read(int(length)) if length.isdigit() else b""

    def _form(self) -> str:
        """The body if it is a form, else ""; any body is read, so the next request can be."""
        body = self._body()
        if self.headers.get_content_type() != "application/x-www-form-urlencoded":
            return ""
        return body.decode("utf-8", errors="replace")


def edits_requested(sent: bytes) -> dict[str, object]:
    """The arguments of FakeWiki.pages_edit() that a `pages` body asks for, a JSON object such as
    {"delete": ["Ocean"], "create": ["Missing moon"]} or {"clear": true}; raises ValueError for
    any other body."""
    try:
        asked = json.loads(sent or b"{}")
    except ValueError:
        raise ValueError("The body is not JSON.") from None
    if not isinstance(asked, dict) or not asked.keys() <= EDIT_KEYS:
        raise ValueError('The body must be an object of "delete", "create" and "clear".')
    for key in ("delete", "create"):
        titles = asked.get(key, [])
        if not isinstance(titles, list) or not all(isinstance(title, str) for title in titles):
            raise ValueError(f'"{key}" must be a list of titles.')
    if not isinstance(asked.get("clear", False), bool):
        raise ValueError('"clear" must be true or false.')
    return asked


class WikiHTTPServer(ThreadingHTTPServer):
    request_queue_size = 128  # benchmarks open 64+ connections at once

    def __init__(self, address: tuple[str, int], *, wiki: FakeWiki) -> None:
        self.wiki = wiki
        super().__init__(address, WikiRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which stalls on machines without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
