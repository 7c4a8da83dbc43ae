"""The process registry (engine/registry.py, heartbeat.py, processes.py): every claim names its
process, and the rows of a process that is gone, and only those, go back to the queue."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from checks.engine.claims import ClaimedRow, results_claim
from checks.engine.heartbeat import process_id
from checks.engine.outcomes import results_record
from checks.engine.processes import CheckProcess, pid_alive, pid_start
from checks.engine.registry import (
    process_beat,
    process_deregister,
    process_register,
    processes_reap,
)
from checks.engine.workqueue import batch_cancel_rows
from checks.models import Batch, Result
from checks.probe.host_slots import redis_host_slot, slots_owner_set
from tests.integration.engine.conftest import finished_pid
from tests.integration.engine.test_workqueue import make_batch, outcome
from tests.support import wait_until

TIMEOUT = 20


def claimed_by(process: CheckProcess, batch, count: int) -> list[ClaimedRow]:
    """`count` rows of `batch` claimed, then handed to `process` as if it had claimed them."""
    rows = [claim.rows[0] for claim in results_claim(units=count, api_limit=50)]
    Result.objects.filter(pk__in=[row.pk for row in rows]).update(claimed_by=process)
    return [
        ClaimedRow(
            pk=row.pk,
            batch_id=row.batch_id,
            position=row.position,
            url=row.url,
            title=row.title,
            claimer=process.pk,
        )
        for row in rows
    ]


def statuses(batch) -> list[str]:
    return list(batch.results.order_by("position").values_list("status", flat=True))


@pytest.mark.django_db
def test_a_claim_names_this_process_which_is_registered():
    make_batch(2)

    (claim,) = results_claim(units=1, api_limit=50)

    entry = CheckProcess.objects.get(pk=claim.rows[0].claimer)
    assert (entry.pid, entry.pid_start) == (os.getpid(), pid_start(os.getpid()))
    assert Result.objects.get(pk=claim.rows[0].pk).claimed_by == entry


@pytest.mark.django_db
def test_rows_of_a_process_killed_on_this_machine_go_back_at_once(dead_process):
    batch = make_batch(4)
    lost = claimed_by(dead_process, batch, 2)
    (kept,) = results_claim(units=1, api_limit=50)

    released = processes_reap(timeout=None)

    assert sorted(released) == sorted(row.pk for row in lost)
    assert statuses(batch) == ["pending", "pending", "running", "pending"]
    assert not CheckProcess.objects.filter(pk=dead_process.pk).exists()
    assert Result.objects.get(pk=kept.rows[0].pk).claimed_by_id == process_id()


@pytest.mark.django_db
def test_rows_of_a_process_silent_past_the_timeout_go_back(silent_process, live_remote_process):
    batch = make_batch(4)
    claimed_by(silent_process, batch, 2)
    claimed_by(live_remote_process, batch, 2)

    assert processes_reap(timeout=None) == []
    released = processes_reap(timeout=TIMEOUT)

    assert len(released) == 2
    assert statuses(batch) == ["pending", "pending", "running", "running"]
    assert list(CheckProcess.objects.filter(host="elsewhere")) == [live_remote_process]


@pytest.mark.django_db
def test_a_live_process_keeps_its_rows_however_long_its_checks_take(live_remote_process):
    batch = make_batch(1)
    claimed_by(live_remote_process, batch, 1)
    batch.results.update(claimed_at=timezone.now() - timedelta(hours=2))

    assert processes_reap(timeout=TIMEOUT) == []
    assert statuses(batch) == ["running"]


@pytest.mark.django_db
def test_rows_of_a_dead_process_in_a_cancelled_batch_are_counted_as_not_checked(dead_process):
    batch = make_batch(3)
    claimed_by(dead_process, batch, 1)
    batch_cancel_rows(batch_id=batch.pk)

    assert processes_reap(timeout=None) == []

    batch.refresh_from_db()
    assert statuses(batch) == ["cancelled"] * 3
    assert (batch.cancelled_count, batch.is_settled) == (3, True)


@pytest.mark.django_db
def test_rows_no_registered_process_holds_go_back_once_their_claim_is_old():
    batch = make_batch(3)
    rows = [claim.rows[0] for claim in results_claim(units=2, api_limit=50)]
    old, fresh = rows
    Result.objects.filter(pk=old.pk).update(
        claimed_by=None, claimed_at=timezone.now() - timedelta(seconds=TIMEOUT + 1)
    )
    Result.objects.filter(pk=fresh.pk).update(claimed_by=None)

    released = processes_reap(timeout=TIMEOUT)

    assert released == [old.pk]
    assert statuses(batch) == ["pending", "running", "pending"]


@pytest.mark.django_db
def test_a_late_outcome_of_a_process_taken_for_dead_is_not_stored(dead_process):
    batch = make_batch(1)
    (late,) = claimed_by(dead_process, batch, 1)
    processes_reap(timeout=None)
    (claim,) = results_claim(units=1, api_limit=50)

    assert results_record(outcomes=[(late, outcome())]) == 0
    assert results_record(outcomes=[(claim.rows[0], outcome())]) == 1
    batch.refresh_from_db()
    assert (batch.done, batch.exists_count, statuses(batch)) == (1, 1, ["exists"])
    assert batch.results.get().claimed_by is None


@pytest.mark.django_db
def test_leaving_the_registry_gives_back_what_the_process_still_holds(live_remote_process):
    batch = make_batch(2)
    claimed_by(live_remote_process, batch, 1)

    assert process_deregister(pk=live_remote_process.pk) == 1
    assert process_deregister(pk=live_remote_process.pk) == 0
    assert statuses(batch) == ["pending", "pending"]


@pytest.mark.django_db
def test_a_starting_process_first_gives_back_the_rows_of_the_dead_here(dead_process):
    batch = make_batch(2)
    claimed_by(dead_process, batch, 2)

    pk = process_register(kind=CheckProcess.Kind.CHECKPAGES)

    assert statuses(batch) == ["pending", "pending"]
    assert CheckProcess.objects.get(pk=pk).kind == "checkpages"
    assert not CheckProcess.objects.filter(pk=dead_process.pk).exists()


@pytest.mark.django_db
def test_a_beat_refreshes_the_heartbeat_unless_the_process_was_taken_for_dead(silent_process):
    before = silent_process.heartbeat_at

    assert process_beat(pk=silent_process.pk)
    silent_process.refresh_from_db()
    assert silent_process.heartbeat_at > before

    CheckProcess.objects.filter(pk=silent_process.pk).delete()
    assert not process_beat(pk=silent_process.pk)


@pytest.mark.django_db(transaction=True)
def test_processes_reaping_together_give_each_row_back_once(dead_process, silent_process):
    batch = make_batch(40)
    claimed_by(dead_process, batch, 10)
    claimed_by(silent_process, batch, 10)
    released: list[list[int]] = []

    def reap() -> None:
        released.append(processes_reap(timeout=TIMEOUT))

    threads = [threading.Thread(target=reap) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    everything = [pk for pks in released for pk in pks]
    assert len(everything) == len(set(everything)) == 20
    assert batch.results.filter(status="pending").count() == 40


@pytest.mark.django_db(transaction=True)
def test_a_process_frozen_inside_a_transaction_holds_no_one_up_for_long():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's idle_in_transaction_session_timeout; SQLite has its own lock")
    batch = make_batch(2)
    (claim,) = results_claim(units=1, api_limit=50)
    frozen, locked = threading.Event(), threading.Event()
    limit_ms = int(settings.WIKICHECK_HEARTBEAT_TIMEOUT * 500)

    def freeze_holding_the_batch_row() -> None:
        # As a process stopped (or cut off) between two statements of its store would.
        try:
            with transaction.atomic():
                # What production's settings give every session (tests/settings.py drops it).
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL idle_in_transaction_session_timeout = {limit_ms}")
                Batch.objects.select_for_update().get(pk=batch.pk)
                locked.set()
                frozen.wait(timeout=60)
        except DatabaseError:
            pass  # its session was ended under it
        finally:
            connections.close_all()

    thread = threading.Thread(target=freeze_holding_the_batch_row)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        assert results_record(outcomes=[(claim.rows[0], outcome())]) == 1
        waited = time.monotonic() - started
    finally:
        frozen.set()
        thread.join(timeout=60)
    # Ended after half the heartbeat timeout, well before the live processes take its rows over.
    assert waited < settings.WIKICHECK_HEARTBEAT_TIMEOUT / 2 + 3
    assert Batch.objects.get(pk=batch.pk).done == 1


@pytest.mark.django_db
def test_the_host_slots_a_dead_process_held_are_free_at_once(dead_process, redis_url, settings):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    settings.WIKICHECK_HOST_LIMITER_URL = redis_url
    key = "wikicheck:slots:en.wikipedia.org:443"
    lease_end = (time.time() + 3600) * 1000
    live_slot = f"{process_id().hex}.{'c' * 32}"
    dead_slots = [f"{dead_process.pk.hex}.{letter * 32}" for letter in "ab"]
    client.zadd(key, dict.fromkeys([live_slot, *dead_slots], lease_end))

    processes_reap(timeout=TIMEOUT)

    assert client.zrange(key, 0, -1) == [live_slot.encode()]
    assert client.llen(key + ":wake") == 2, "a waiter for each slot is woken"


def test_a_slot_is_named_after_the_process_holding_it(redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    slots_owner_set("f" * 32)
    try:
        with redis_host_slot(url="https://x.test/", limit=2, redis_url=redis_url, lease_seconds=9):
            (holder,) = redis.Redis.from_url(redis_url).zrange("wikicheck:slots:x.test:443", 0, -1)
    finally:
        slots_owner_set("")
    assert holder.decode().startswith("f" * 32 + ".")


# --- Whether a process of this machine is alive ----------------------------------------------


def test_this_process_is_alive():
    assert pid_alive(pid=os.getpid(), start=pid_start(os.getpid()))


def test_an_ended_process_is_dead():
    assert not pid_alive(pid=finished_pid(), start=0)


def test_a_pid_now_used_by_another_process_is_dead():
    assert not pid_alive(pid=os.getpid(), start=pid_start(os.getpid()) + 1)


def test_a_killed_process_not_yet_waited_for_is_dead():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert pid_alive(pid=process.pid, start=pid_start(process.pid))
        process.kill()  # and not waited for: a zombie until the finally
        wait_until(lambda: not pid_alive(pid=process.pid, start=0), timeout=10)
    finally:
        process.wait()
