import signal
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, DjangoHelpFormatter

from checks import fakewiki_faults
from checks.fakewiki import FakeWiki
from checks.fakewiki_api import API_PATH


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Django's order of options, with the epilog's table of fault modes printed as written."""


class Command(BaseCommand):
    help = (
        "Run the fake wiki (checks.fakewiki) in the foreground until Ctrl-C or SIGTERM: pages at "
        "/wiki/<title>, and a MediaWiki Action API at /w/api.php that checks up to 50 titles per "
        "request (action=query&titles=A|B|C&redirects=1; rules in checks/fakewiki_api.py)."
    )

    # The fake wiki needs neither models nor URLs, so it must run even while the project's
    # configuration is half-built or failing its checks.
    requires_system_checks = ()

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        kwargs.setdefault("epilog", fakewiki_faults.__doc__)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--latency-ms", type=int, default=0, help="delay before each answer")
        parser.add_argument(
            "--head-status", type=int, default=None, help="answer HEAD with this status, e.g. 405"
        )

    def handle(self, *args: Any, host: str, port: int, latency_ms: int, **options: Any) -> None:
        wiki = FakeWiki(host=host, port=port, latency_ms=latency_ms)
        wiki.head_status = options["head_status"]
        # Process managers and test harnesses stop servers with SIGTERM; treat it like Ctrl-C so
        # the socket is closed and the final counts are printed.
        signal.signal(signal.SIGTERM, _interrupt)
        self.stdout.write(
            f"Fake wiki on {wiki.wiki_url} (latency {latency_ms} ms); titles starting with "
            '"Missing" or containing "does not exist" answer 404; "Fault:<mode>" titles '
            f"misbehave (see --help); API at {wiki.url}{API_PATH}"
        )
        # Whoever started us may be waiting for this line on a pipe.
        self.stdout.flush()
        try:
            wiki.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write(f"Stopped: {wiki.snapshot()}")
