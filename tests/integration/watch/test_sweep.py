"""The lists' part of the sweep (checks/watch/sweep.py): every sweep of the engine starts a round
on the watch thread, which fires due schedules, notices finished runs and sends deliveries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.engine import heartbeat
from checks.engine.sweep import work_sweep
from checks.models import Batch, CheckProcess, SavedList
from checks.watch import sweep
from tests.integration.watch.conftest import run_finished


@pytest.fixture
def due(ocean_list) -> SavedList:
    SavedList.objects.filter(pk=ocean_list.pk).update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )
    return ocean_list


@pytest.mark.django_db(transaction=True)
def test_the_engine_s_sweep_fires_a_due_schedule_on_the_watch_thread(due, settings):
    settings.WIKICHECK_LISTS_IN_SWEEP = True

    work_sweep()
    sweep.watch_sweep().result(timeout=30)

    [run] = Batch.objects.filter(saved_list=due)
    run_finished(run)


@pytest.mark.django_db
@pytest.mark.parametrize("switched_off", ["setting", "checkpages"])
def test_no_round_where_lists_are_left_to_others(due, settings, monkeypatch, switched_off):
    settings.WIKICHECK_LISTS_IN_SWEEP = switched_off != "setting"
    if switched_off == "checkpages":
        monkeypatch.setattr(heartbeat, "_kind", CheckProcess.Kind.CHECKPAGES)

    assert sweep.watch_sweep() is None
