"""Fault modes: `Fault:<mode>` titles answered the way a healthy wiki never answers (errors,
redirects, stalls, drips, resets, malformed answers); `python -m fakewiki --help` lists them."""

from __future__ import annotations

import itertools
import re
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from fakewiki.server import FakeWiki

PREFIX = "Fault:"
TRICKLE_INTERVAL_SECONDS = 0.2
# Just within a read timeout of 2 s, so that only a deadline on the whole answer ends the wait.
DRIP_INTERVAL_SECONDS = 1.5
# The start of a 200 answer whose last header never ends: "." follows it, one byte at a time.
DRIP_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Drip: "

# The table `python -m fakewiki --help` prints, as written.
MODES_HELP = """\
Fault modes: the answers a healthy wiki never gives.

A request for the title `Fault:<mode>` (at /wiki/Fault:<mode> or /w/index.php?title=Fault:<mode>,
decoded like any title) is answered as its mode says, so one batch can mix pages and faults.
These requests are counted like any other, and after any fault the server still answers other
titles as usual. An unknown mode answers 400.

api.php knows them too: a query whose `titles` include `Fault:<mode>` (not a generator's) is
answered as that mode says, the whole request, as when a real wiki's API fails: the other
titles of the request (up to 50) share the fault. The first fault title sent decides. The
-then-200 modes count there the api.php requests that ask about the title.

Error statuses
  Fault:<code>          a code from 400 to 599 (Fault:403, Fault:500, Fault:502, Fault:503):
                        that status with a short text body.
  Fault:429             429 with "Retry-After: <retry_after_seconds>".
  Fault:429-then-200    the first `flaky_failures` requests for the title (any method, counted
  Fault:503-then-200    since the last reset()) answer 429 or 503 with Retry-After; later, the
                        title is an ordinary page (200, and in api.php a page that exists).

Redirects
  Fault:redirect-loop      302 to its own URL, forever.
  Fault:redirect-away      302 to http://evil.example/wiki/Ocean, a host no allow-list names.
  Fault:redirect-malformed 302 to http://h:1:2/wiki/Ocean, which is no URL (two ports).
  Fault:redirect-to-<Title>
                           301 to /wiki/<Title> on this server: Fault:redirect-to-Ocean ends
                           at a 200 page.

Broken connections
  Fault:slow-headers    silence for `slow_seconds`, then a 200 page: the client's read timeout
                        fires first. Stopping the server ends the silence at once.
  Fault:reset           the status line and part of the headers, then a TCP reset.
  Fault:close           the connection closes with no answer at all.
  Fault:trickle         HEAD answers 405, so clients fall back to GET; GET answers 200 with
                        "Content-Length: 100000000", then one byte every 0.2 s until the client
                        hangs up, the server stops or `slow_seconds` x 10 have passed.
  Fault:drip-headers    HEAD and GET alike: the status line and headers one byte every 1.5 s,
                        a header that never ends, until the client hangs up, the server stops
                        or `slow_seconds` x 10 have passed. Every read gets a byte in time;
                        the answer never completes.

Answers http.client rejects
  Fault:huge-headers    200 with a 70,000-byte header (http.client reads lines of 65,536).
  Fault:many-headers    200 with 150 headers (http.client accepts 100).
  Fault:bad-status      the status line "HTTP/1.1 abc Broken", then the connection closes.

Knobs, FakeWiki attributes that may be changed while it runs: `retry_after_seconds` (default 1),
`flaky_failures` (1) and `slow_seconds` (5.0).
"""


@dataclass(frozen=True)
class Exchange:
    """One request for a fault title, and the means to answer it."""

    handler: BaseHTTPRequestHandler
    wiki: FakeWiki
    mode: str
    attempt: int  # 1 for the title's first request since the wiki's last reset()

    def send(
        self, status: int, *, headers: Iterable[tuple[str, str]] = (), body: bytes = b""
    ) -> None:
        """A whole answer, the way http.server writes one; HEAD gets the headers alone."""
        self.handler.send_response(status)
        for name, value in headers:
            self.handler.send_header(name, value)
        self.handler.send_header("Content-Type", "text/plain; charset=utf-8")
        self.handler.send_header("Content-Length", str(len(body)))
        self.handler.end_headers()
        if self.handler.command != "HEAD":
            self.handler.wfile.write(body)

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds`; False, at once, if the server begins to stop meanwhile."""
        return not self.wiki.stopping.wait(seconds)

    def hang_up(self) -> None:
        """Close the connection once the handler returns, instead of awaiting another request."""
        self.handler.close_connection = True


# --- Error statuses ----------------------------------------------------------------------------


def retry_after(wiki: FakeWiki) -> list[tuple[str, str]]:
    return [("Retry-After", str(wiki.retry_after_seconds))]


def send_error_status(exchange: Exchange) -> None:
    exchange.send(int(exchange.mode), body=f"{PREFIX}{exchange.mode}\n".encode())


def send_too_many_requests(exchange: Exchange) -> None:
    exchange.send(429, headers=retry_after(exchange.wiki), body=b"Too many requests\n")


def fail_then_recover(exchange: Exchange) -> None:
    status = int(exchange.mode.partition("-")[0])
    exchange.send(status, headers=retry_after(exchange.wiki), body=b"Try again later\n")


# --- Redirects ---------------------------------------------------------------------------------


def redirect_to_itself(exchange: Exchange) -> None:
    exchange.send(302, headers=[("Location", exchange.handler.path)])


def redirect_off_site(exchange: Exchange) -> None:
    exchange.send(302, headers=[("Location", "http://evil.example/wiki/Ocean")])


def redirect_malformed(exchange: Exchange) -> None:
    exchange.send(302, headers=[("Location", "http://h:1:2/wiki/Ocean")])


def redirect_to_title(exchange: Exchange) -> None:
    title = exchange.mode.removeprefix("redirect-to-").replace(" ", "_")
    exchange.send(301, headers=[("Location", "/wiki/" + quote(title, safe="/:(),"))])


# --- Broken connections ------------------------------------------------------------------------


def stall_before_headers(exchange: Exchange) -> None:
    if exchange.sleep(exchange.wiki.slow_seconds):
        exchange.send(200, body=b"A slow page\n")
    else:
        exchange.hang_up()


def reset_mid_headers(exchange: Exchange) -> None:
    exchange.handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/ht")
    connection = exchange.handler.connection
    # Lingering zero seconds makes close() send a reset rather than an orderly FIN.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The request reader holds the socket open: close it first, so close() closes for real now
    # (the server's own shutdown would send a FIN before the reset).
    exchange.handler.rfile.close()
    connection.close()
    exchange.hang_up()


def close_without_answer(exchange: Exchange) -> None:
    exchange.hang_up()


def trickle_body(exchange: Exchange) -> None:
    if exchange.handler.command == "HEAD":
        exchange.send(405, headers=[("Allow", "GET")])
        return
    # The body never completes, so the connection cannot carry another request.
    exchange.hang_up()
    exchange.handler.send_response(200)
    exchange.handler.send_header("Content-Type", "text/plain; charset=utf-8")
    exchange.handler.send_header("Content-Length", "100000000")
    exchange.handler.end_headers()
    deadline = time.monotonic() + exchange.wiki.slow_seconds * 10
    while time.monotonic() < deadline and exchange.sleep(TRICKLE_INTERVAL_SECONDS):
        try:
            exchange.handler.wfile.write(b".")
        except OSError:
            return  # the client has hung up


def drip_headers(exchange: Exchange) -> None:
    # The headers never complete, so the connection cannot carry another request.
    exchange.hang_up()
    stop_at = time.monotonic() + exchange.wiki.slow_seconds * 10
    for byte in itertools.chain(DRIP_HEAD, itertools.repeat(ord("."))):
        try:
            exchange.handler.wfile.write(bytes([byte]))
        except OSError:
            return  # the client has hung up
        if time.monotonic() >= stop_at or not exchange.sleep(DRIP_INTERVAL_SECONDS):
            return


# --- Answers http.client rejects ---------------------------------------------------------------
# The client drops the connection on reading them, so none is offered for reuse.


def send_huge_header(exchange: Exchange) -> None:
    exchange.hang_up()
    exchange.send(200, headers=[("X-Padding", "x" * 70_000)], body=b"Huge header\n")


def send_too_many_headers(exchange: Exchange) -> None:
    exchange.hang_up()
    headers = [(f"X-Header-{number}", str(number)) for number in range(1, 151)]
    exchange.send(200, headers=headers, body=b"Many headers\n")


def send_bad_status_line(exchange: Exchange) -> None:
    exchange.hang_up()
    exchange.handler.wfile.write(b"HTTP/1.1 abc Broken\r\n\r\n")


def reject_unknown_mode(exchange: Exchange) -> None:
    body = f"Unknown fault mode {exchange.mode!r}: see fakewiki/faults.py\n"
    exchange.send(400, body=body.encode())


# --- Dispatch ----------------------------------------------------------------------------------

# The modes that fail `flaky_failures` times, then leave the title to be answered as any other.
FLAKY = "(429|503)-then-200"
# Patterns a mode must match in full, tried in order (429 has an answer of its own).
FAULTS: tuple[tuple[str, Callable[[Exchange], None]], ...] = (
    ("429", send_too_many_requests),
    (FLAKY, fail_then_recover),
    ("[45][0-9][0-9]", send_error_status),
    ("redirect-loop", redirect_to_itself),
    ("redirect-away", redirect_off_site),
    ("redirect-malformed", redirect_malformed),
    ("redirect-to-.+", redirect_to_title),
    ("slow-headers", stall_before_headers),
    ("reset", reset_mid_headers),
    ("close", close_without_answer),
    ("trickle", trickle_body),
    ("drip-headers", drip_headers),
    ("huge-headers", send_huge_header),
    ("many-headers", send_too_many_headers),
    ("bad-status", send_bad_status_line),
)


def fault_title(titles: Iterable[str]) -> str | None:
    """The first `Fault:<mode>` title among an api.php request's `titles`, which answers for the
    whole request."""
    return next((title for title in titles if title.startswith(PREFIX)), None)


def answer_fault(
    handler: BaseHTTPRequestHandler, wiki: FakeWiki, title: str | None, *, attempt: int
) -> bool:
    """Answer a `Fault:<mode>` title as its mode says; False, answering nothing, for others and
    for a flaky title that has failed its share."""
    if title is None or not title.startswith(PREFIX):
        return False
    mode = title.removeprefix(PREFIX)
    if re.fullmatch(FLAKY, mode) and attempt > wiki.flaky_failures:
        return False
    answer = next(
        (answer for pattern, answer in FAULTS if re.fullmatch(pattern, mode)), reject_unknown_mode
    )
    answer(Exchange(handler, wiki, mode, attempt))
    return True
