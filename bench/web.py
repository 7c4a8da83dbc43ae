"""The app under gunicorn as production runs it (deploy/gunicorn.conf.py: 2 processes of 4
threads, DEBUG off, static files collected), on the benchmark's database, with its own thread
pools; and the API client and browsers that talk to it."""

import os
from collections.abc import Mapping

import requests
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string

from bench.environment import workdir
from bench.pipeline import owner
from fakewiki.unreachable import free_port
from tests.support import WikiProcess, gunicorn_start, process_end, production_environment


class WebServer:
    """gunicorn checking pages on `wiki`, and an API session to submit batches to it. Leaving
    the `with` block stops it.

    `processes` overrides deploy/gunicorn.conf.py's number of processes (one process is one
    thread pool), and `app_settings` are WIKICHECK_* settings of the app, by their environment
    variables."""

    def __init__(
        self, *, wiki: WikiProcess, processes: int = 2, app_settings: Mapping[str, str] = {}
    ) -> None:
        from checks.engine.backends import backend
        from checks.models import ApiToken

        # The benchmark process's own pool, left from an earlier scenario, shares the database:
        # its sweep would join the server's batches (the form scenario measured 64 workers).
        backend().shutdown(wait=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **production_environment(
                directory=workdir(),
                database_url=os.environ["DATABASE_URL"],
                # The bench's own key, so the sessions it makes here are valid there.
                secret_key=settings.SECRET_KEY,
            ),
            "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{wiki.port}",
            "WIKICHECK_DEFAULT_WIKI": wiki.wiki_url,
            # Both processes join a batch within a second, whichever of them it was posted to.
            "WIKICHECK_SWEEP_SECONDS": "1",
            **app_settings,
            "GUNICORN_WORKERS": str(processes),
        }
        log = workdir() / f"gunicorn-{self.port}.log"
        self.process = gunicorn_start(env=env, port=self.port, log=log)
        token = ApiToken(user=owner(), name=f"bench {self.port}")
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {token.key_generate()}"
        token.save()

    def submit(self, *, titles: list[str], wiki: WikiProcess) -> str:
        """Post a batch of `titles` through the API; its id."""
        body = {"urls": titles, "wiki": wiki.wiki_url, "mode": "page"}
        response = self.api.post(f"{self.url}/api/batches/", json=body, timeout=60)
        response.raise_for_status()
        return response.json()["id"]

    @staticmethod
    def browser() -> requests.Session:
        """A browser signed in as the benchmark's user: its session and its CSRF secret. The
        server marks both cookies Secure (DEBUG off), which requests would not send over this
        plain-HTTP loopback, so they are made here."""
        client = Client()
        client.force_login(owner())
        session = requests.Session()
        session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies["sessionid"].value)
        session.cookies.set(settings.CSRF_COOKIE_NAME, get_random_string(32))
        return session

    def __enter__(self) -> "WebServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        process_end(self.process, timeout=60)
