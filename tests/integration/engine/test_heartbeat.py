"""This process's entry in the registry (engine/heartbeat.py): it beats while the process lives,
and a process taken for dead registers again instead of claiming under its old entry."""

import os

import pytest

from checks.engine.heartbeat import process_id
from checks.engine.processes import CheckProcess
from tests.support import wait_until


@pytest.fixture
def quick_heartbeat(settings):
    settings.WIKICHECK_HEARTBEAT_SECONDS = 0.2
    settings.WIKICHECK_HEARTBEAT_TIMEOUT = 1


@pytest.mark.django_db(transaction=True)
def test_this_process_beats_while_it_lives(quick_heartbeat):
    # An earlier test may have emptied the table: the next beat registers the process again.
    entry = wait_until(lambda: CheckProcess.objects.filter(pk=process_id()).first(), timeout=10)
    first = entry.heartbeat_at

    # The thread may be in a wait begun before the setting changed (5 s by default).
    wait_until(lambda: CheckProcess.objects.get(pk=entry.pk).heartbeat_at > first, timeout=10)
    assert entry.pid == os.getpid()


@pytest.mark.django_db(transaction=True)
def test_a_process_taken_for_dead_registers_again(quick_heartbeat):
    old = process_id()

    CheckProcess.objects.filter(pk=old).delete()

    new = wait_until(lambda: process_id() if process_id() != old else None, timeout=10)
    assert CheckProcess.objects.get(pk=new).pid == os.getpid()
