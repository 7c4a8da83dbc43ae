"""Run the fake wiki in the foreground until Ctrl-C or SIGTERM: `python -m fakewiki --port 8001`."""

import argparse
import signal
import sys
from types import FrameType

from fakewiki import faults
from fakewiki.api import API_PATH
from fakewiki.server import FakeWiki


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parser_build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fakewiki",
        description=(
            "A local stand-in for a MediaWiki site: pages at /wiki/<title>, and an Action API at "
            "/w/api.php that checks up to 50 titles per request "
            "(action=query&titles=A|B|C&redirects=1; rules in fakewiki/README.md)."
        ),
        # The epilog's table of fault modes is printed as written.
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=faults.MODES_HELP,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency-ms", type=int, default=0, help="delay before each answer")
    parser.add_argument(
        "--head-status", type=int, default=None, help="answer HEAD with this status, e.g. 405"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    options = parser_build().parse_args(argv)
    wiki = FakeWiki(host=options.host, port=options.port, latency_ms=options.latency_ms)
    wiki.head_status = options.head_status
    # Process managers and test harnesses stop servers with SIGTERM; treat it like Ctrl-C so
    # the socket is closed and the final counts are printed.
    signal.signal(signal.SIGTERM, _interrupt)
    print(
        f"Fake wiki on {wiki.wiki_url} (latency {options.latency_ms} ms); titles starting with "
        '"Missing" or containing "does not exist" answer 404; "Fault:<mode>" titles '
        f"misbehave (see --help); API at {wiki.url}{API_PATH}",
        # Whoever started us may be waiting for this line on a pipe.
        flush=True,
    )
    try:
        wiki.serve_forever()
    except KeyboardInterrupt:
        print(f"Stopped: {wiki.snapshot()}")
    sys.exit(0)


if __name__ == "__main__":
    main()
