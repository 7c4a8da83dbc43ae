"""Latency-bound through the web form: a browser submits N pages at latency L to one gunicorn
process of W workers, and polls the batch's progress as htmx does until the 286 that ends
polling; it cannot beat N*L/W."""

import html
import re
import time

import requests

from bench.figures import Figure, Report
from bench.pollers import HX_GET
from bench.web import WebServer
from tests.support import WikiProcess

# The form's CSRF token, as the browser sends it back.
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The polling interval of the batch page (WIKICHECK_POLL_SECONDS), and so of the browser.
POLL_SECONDS = 0.1
# How long htmx lets a swapped fragment settle before it processes it, and so before the new
# element's polling starts: the fragment's hx-swap may say, else htmx's default (2.x: 20 ms).
SETTLE = re.compile(r'<section id="progress"[^>]*hx-swap="[^"]*settle:(\d+)ms')
SETTLE_DEFAULT_SECONDS = 0.02


def run(*, quick: bool) -> list[Figure]:
    """Submit to 286 against the lower bound, and where the time outside the checks went."""
    count, latency, workers = (300 if quick else 1000), 100, 32
    titles = [f"Page {n}" for n in range(count)]
    app_settings = {
        "WIKICHECK_MAX_WORKERS": str(workers),
        "WIKICHECK_POLL_SECONDS": str(POLL_SECONDS),
    }
    with (
        WikiProcess(latency_ms=latency) as wiki,
        WebServer(wiki=wiki, processes=1, app_settings=app_settings) as server,
    ):
        browser = server.browser()
        # The server has rendered both pages and checked a page before the timing.
        batch_check(server=server, browser=browser, titles=titles[:1], wiki=wiki)
        timings = batch_check(server=server, browser=browser, titles=titles, wiki=wiki)
    bound = count * latency / 1000 / workers
    ratio = timings["stopped"] / bound
    report = Report(f"form ({count} pages, {latency} ms, gunicorn 1x{workers}, 100 ms poll)")
    report.note("lower bound N*L/W", value=f"{bound:.2f} s")
    report.note("submit to 286", value=f"{timings['stopped']:.2f} s")
    report.check(
        "submit to 286 / bound", value=f"{ratio:.2f}x", target="<= 1.08x", passed=ratio <= 1.08
    )
    report.note("submit to the redirect", value=f"{timings['redirected']:.2f} s")
    report.note("batch finished to 286", value=f"{timings['stopped'] - timings['finished']:.2f} s")
    return report.figures


def batch_check(
    *, server: WebServer, browser: requests.Session, titles: list[str], wiki: WikiProcess
) -> dict[str, float]:
    """Submit `titles` through the form and poll until 286; seconds from the submission to the
    redirect, to the batch's finished_at and to the 286."""
    from checks.models import Batch

    form = browser.get(f"{server.url}/", timeout=60)
    fields = {
        "csrfmiddlewaretoken": html.unescape(CSRF_TOKEN.search(form.text).group(1)),
        "urls": "\n".join(titles),
        "links_of": "",
        "namespaces": "",
        "category": "",
        "wiki": wiki.wiki_url,
        "mode": "page",
        "timeout": "",
        "name": "",
    }
    # multipart/form-data, as the form's enctype has the browser send it, the file field empty.
    no_file = {"file": ("", b"", "application/octet-stream")}
    started, wall_started = time.perf_counter(), time.time()
    answer = browser.post(
        f"{server.url}/",
        data=fields,
        files=no_file,
        headers={"Origin": server.url},
        allow_redirects=False,
        timeout=120,
    )
    redirected = time.perf_counter() - started
    assert answer.status_code == 302, f"the form answered {answer.status_code}"
    page = browser.get(server.url + answer.headers["Location"], timeout=60)
    page.raise_for_status()
    progress_poll(server=server, browser=browser, page=page.text)
    stopped = time.perf_counter() - started
    batch_id = answer.headers["Location"].strip("/").split("/")[-1]
    finished_at = Batch.objects.get(pk=batch_id).finished_at.timestamp()
    return {"redirected": redirected, "finished": finished_at - wall_started, "stopped": stopped}


def progress_poll(*, server: WebServer, browser: requests.Session, page: str) -> None:
    """Poll the progress fragment of a batch `page` as htmx does, until 286: every interval,
    at the URL the last swapped fragment gave. A 204 swaps nothing, so the polling element's
    timer keeps its beat; a fragment replaces the element, whose timer starts once it has
    settled."""
    url = server.url + html.unescape(HX_GET.search(page).group(1))
    due = time.perf_counter() + POLL_SECONDS
    while True:
        time.sleep(max(due - time.perf_counter(), 0))
        sent = time.perf_counter()
        answer = browser.get(url, headers={"HX-Request": "true"}, timeout=60)
        if answer.status_code == 286:
            return
        assert answer.status_code in (200, 204), f"a poll answered {answer.status_code}"
        if answer.status_code == 200:
            url = server.url + html.unescape(HX_GET.search(answer.text).group(1))
            settle = SETTLE.search(answer.text)
            settle_seconds = int(settle.group(1)) / 1000 if settle else SETTLE_DEFAULT_SECONDS
            due = time.perf_counter() + settle_seconds + POLL_SECONDS
        else:
            due = sent + POLL_SECONDS
