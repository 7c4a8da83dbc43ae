"""WIKICHECK_BACKEND=celery: a batch's rows go to the broker as chunks, and any worker checks
them."""

# A task names the rows of its chunk. The worker claims each unit just before checking it
# (claims.results_claim_ids) and hands its outcomes to the writer as the thread pool does, so the
# pages read progress the same way. Running a chunk twice is harmless: a message delivered again
# after its worker died, or published again by the sweep, finds its finished rows finished and
# its rows in flight elsewhere claimed, so each page is checked once.
#
# The sweep, run by one worker at a time, is what makes a lost message lose nothing: it requeues
# and publishes at once the rows of workers that died (engine/registry.py), and, once the broker's
# queue is empty, publishes again the pending rows of batches no worker is busy with.

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import redis
from celery.signals import worker_ready, worker_shutdown
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from checks import conf
from checks.engine.backends import backend
from checks.engine.backends.base import Backend
from checks.engine.claims import Claim, ClaimedRow, results_claim_ids
from checks.engine.heartbeat import process_start
from checks.engine.sweep import work_sweep
from checks.engine.units import unit_check, unit_failed
from checks.engine.workqueue import results_release
from checks.engine.writer import outcomes_submit
from checks.models import Batch, CheckProcess, Result
from checks.probe.mediawiki import TITLES_PER_REQUEST
from checks.probe.outcome import Outcome
from wikicheck_site.celery import app

logger = logging.getLogger(__name__)

# Chunks per priority step: a batch's first chunks overtake the tail of a batch queued earlier
# (priority 0 is served first by the Redis transport).
CHUNKS_PER_PRIORITY = 8
LOWEST_PRIORITY = 9
SWEEP_LOCK = "wikicheck:sweep"
# How long after its creation a batch may still be being published (no sweep publishes it).
PUBLISH_GRACE = timedelta(seconds=10)


class CeleryBackend(Backend):
    """Only workers check: web processes publish, and hold no work to cancel or resume."""

    def work_submitted(self, *, batch_id) -> None:
        try:
            batch_publish(batch_id=batch_id)
        except OperationalError:
            # The rows are stored and stay pending; a worker's sweep publishes them once the
            # broker is back, so the batch is late, not lost.
            logger.exception("could not reach the Celery broker for batch %s", batch_id)


# --- Publishing ----------------------------------------------------------------------------------


def batch_publish(*, batch_id) -> int:
    """Publish the chunks of a batch's pending rows; returns how many tasks were sent."""
    return _publish(Result.objects.filter(batch_id=batch_id, status=Result.Status.PENDING))


def _publish(rows) -> int:
    sent = 0
    with app.producer_or_acquire() as producer, producer.batch():
        for index, (ids, api) in enumerate(chunks_of(rows)):
            chunk_check.apply_async(
                kwargs={"result_ids": ids, "api": api},
                priority=min(index // CHUNKS_PER_PRIORITY, LOWEST_PRIORITY),
                producer=producer,
            )
            sent += 1
    return sent


def chunks_of(rows) -> Iterator[tuple[list[int], bool]]:
    """(row ids, bound for an API) per chunk, in submission order: each batch's titles for one
    API in requests' worth, its other pages WIKICHECK_CHUNK_PAGES at a time."""
    chunk_pages = conf.current().chunk_pages
    pages: list[int] = []
    titles: dict[str, list[int]] = {}
    current_batch = None
    fields = ("pk", "batch_id", "api_url")
    for pk, batch_id, api_url in rows.order_by("batch_id", "position").values_list(*fields):
        if batch_id != current_batch:
            yield from _rest(pages, titles)
            pages, titles, current_batch = [], {}, batch_id
        if api_url:
            chunk = titles.setdefault(api_url, [])
            chunk.append(pk)
            if len(chunk) == TITLES_PER_REQUEST:
                yield chunk, True
                del titles[api_url]
        else:
            pages.append(pk)
            if len(pages) == chunk_pages:
                yield pages, False
                pages = []
    yield from _rest(pages, titles)


def _rest(pages: list[int], titles: dict[str, list[int]]) -> list[tuple[list[int], bool]]:
    chunks = [(chunk, True) for chunk in titles.values()]
    return [*chunks, (pages, False)] if pages else chunks


# --- Checking ------------------------------------------------------------------------------------


@app.task(
    # The name it had before the engine moved: messages already queued must still resolve.
    name="checks.tasks.chunk_check",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=10,
)
def chunk_check(*, result_ids: list[int], api: bool) -> int:
    """Check the rows of one chunk that still wait; returns how many were checked."""
    units = [result_ids] if api else [[pk] for pk in result_ids]
    tickets = []
    for ids in units:
        claim = results_claim_ids(ids=ids)
        if claim is not None:
            tickets.append(outcomes_submit(_outcomes(claim)))
    # Acknowledged (by returning) only once every outcome is stored.
    for ticket in tickets:
        ticket.wait()
    return sum(len(ticket.outcomes) for ticket in tickets)


def _outcomes(claim: Claim) -> list[tuple[ClaimedRow, Outcome]]:
    try:
        return unit_check(claim)
    except Exception as exc:
        return unit_failed(claim, error=exc)
    except BaseException:
        # The worker is stopping mid-check: the rows go back to the queue at once.
        results_release(rows=claim.rows)
        raise


# --- Sweeping ------------------------------------------------------------------------------------


def pending_republish() -> int:
    """Sweep (the rows of workers that died go back to the queue, and are published at once)
    and, when the broker's queue is empty, publish again the pending rows no message may carry
    any more; returns how many tasks were sent."""
    # The dead worker's messages come back only after the broker's visibility timeout (an hour):
    # its rows are published again at once, with the rest of the chunks they came in.
    released = work_sweep()
    again = {*released, *_chunk_rests(released)}
    sent = _publish(Result.objects.filter(pk__in=again, status=Result.Status.PENDING))
    if queue_length():
        return sent
    now = timezone.now()
    # A worker checking some of a batch's rows is likely to hold tasks for its other pending
    # rows too; the batch is looked at again once nothing of it is in hand.
    in_hand = Result.objects.filter(status=Result.Status.RUNNING).values("batch_id")
    pending = Result.objects.filter(
        status=Result.Status.PENDING,
        batch__status=Batch.Status.RUNNING,
        # A batch being published right now is left to its publisher.
        batch__created_at__lt=now - PUBLISH_GRACE,
    ).exclude(batch_id__in=in_hand)
    again = _publish(pending)
    if again:
        logger.warning("published %d chunks again for pending rows no message carried", again)
    return sent + again


def _chunk_rests(released: list[int]) -> list[int]:
    """The pending pages that follow each released page in its batch, a chunk's worth: those a
    dead worker's task was to check after it. A page that came in another chunk is published
    twice, which is harmless (it is claimed once)."""
    rests: list[int] = []
    chunk_pages = conf.current().chunk_pages
    released_pages = Result.objects.filter(pk__in=released, api_url="")
    for batch_id, position in released_pages.values_list("batch_id", "position"):
        following = Result.objects.filter(
            batch_id=batch_id, status=Result.Status.PENDING, api_url="", position__gt=position
        )
        rests += following.order_by("position").values_list("pk", flat=True)[:chunk_pages]
    return rests


def queue_length() -> int:
    """Messages waiting in the broker's queue (not those a worker has taken)."""
    with app.connection_for_read() as broker:
        declared = broker.default_channel.queue_declare(
            queue=app.conf.task_default_queue, passive=False
        )
        return declared.message_count


_sweeps_stop = threading.Event()


@worker_ready.connect
def _sweeps_start(**kwargs) -> None:
    if not isinstance(backend(), CeleryBackend):
        # The web processes' pools check this database's rows; sweeping them into tasks too
        # would put a second set of workers on the same wikis.
        logger.warning("WIKICHECK_BACKEND is not 'celery': this worker will not sweep")
        return
    # Before the first task: the rows of workers that died on this machine go back at once.
    process_start(kind=CheckProcess.Kind.CELERY)
    connection.close()
    _sweeps_stop.clear()
    threading.Thread(target=_sweeps, name="wikicheck-sweeper", daemon=True).start()


@worker_shutdown.connect
def _sweeps_end(**kwargs) -> None:
    _sweeps_stop.set()


def _sweeps() -> None:
    """Every WIKICHECK_SWEEP_SECONDS, sweep, unless another worker has this round."""
    client = redis.Redis.from_url(app.conf.broker_url)
    interval = conf.current().sweep_seconds
    while not _sweeps_stop.wait(interval):
        try:
            if client.set(SWEEP_LOCK, "1", nx=True, px=int(interval * 1000)):
                pending_republish()
        except Exception:
            logger.exception("the sweep failed; trying again in %s s", interval)
        finally:
            connection.close()
